"""The one exception type that means "the user asked for something we cannot do"."""


class UserError(Exception):
    """A mistake in the user's input: the CLI prints its message on one line and exits 2."""


class UnavailableTask(UserError):
    """The task (or one of its parameters) does not exist in this install: unknown name,
    dataset not shipped offline, optional package missing."""
