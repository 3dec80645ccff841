"""The CPU named precisely: family, model, stepping and core, not only "AMD EPYC"."""

from __future__ import annotations

import platform

from grubench.measure.env import cpu_id, cpu_label, environment

ZEN2 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 23
model\t\t: 49
model name\t: AMD EPYC
stepping\t: 0
flags\t\t: fpu sse sse2 avx avx2 fma

processor\t: 1
vendor_id\t: AuthenticAMD
"""
ZEN4 = ZEN2.replace("model\t\t: 49", "model\t\t: 17").replace(
    "cpu family\t: 23", "cpu family\t: 25"
)
ZEN4 = ZEN4.replace("avx2 fma", "avx2 fma avx512f")


def test_two_vms_that_both_say_amd_epyc_are_told_apart():
    a, b = cpu_id(ZEN2), cpu_id(ZEN4)
    assert (a["vendor"], a["family"], a["model"], a["stepping"]) == ("AuthenticAMD", 23, 49, 0)
    assert (a["core"], a["isa"]) == ("Zen 2", "AVX2")
    assert (b["core"], b["isa"]) == ("Zen 4", "AVX-512")
    assert cpu_label(a) == "AMD EPYC (family 23 model 49 stepping 0, Zen 2, AVX2)"
    assert cpu_label(a) != cpu_label(b)


def test_an_unknown_cpu_keeps_its_name():
    c = cpu_id("vendor_id\t: GenuineIntel\nmodel name\t: Some CPU\n")
    assert c["core"] is None and cpu_label(c) == "Some CPU"


def test_the_environment_names_the_cpu_and_the_isa_oneDNN_dispatches_to():
    env = environment()
    assert env["cpu_label"].startswith(env["cpu"])
    assert env["cpu_id"]["family"] is not None
    if platform.machine() in ("x86_64", "AMD64"):
        # torch's x86 builds ship oneDNN with verbose support: it names an instruction set.
        assert any(isa in env["onednn_isa"].upper() for isa in ("AVX", "SSE"))


def test_the_library_behind_each_arch_is_observed_not_assumed():
    from grubench.studies.speed.grid import environment, kernel_paths

    paths = kernel_paths(("gru", "lstm", "gru-seed"))
    if platform.machine() in ("x86_64", "AMD64"):
        # torch's x86 CPU build: oneDNN fuses nn.LSTM into its rnn primitive, not nn.GRU.
        assert paths["lstm"].startswith("oneDNN rnn")
        assert "no oneDNN primitive" in paths["gru"] and "no oneDNN primitive" in paths["gru-seed"]
    env = environment()
    assert env["cpu_label"] and set(env["kernel_paths"]) == {"gru", "lstm"}
