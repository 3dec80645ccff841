"""``grubench reproduce``: published GRU-vs-LSTM results re-run side by side with the papers."""
