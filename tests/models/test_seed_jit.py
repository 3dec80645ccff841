import torch

from grubench.models.archs import build_core


def _pair(layers=2):
    torch.manual_seed(3)
    eager = build_core("gru-seed", 5, 16, layers)
    torch.manual_seed(3)
    scripted = build_core("gru-v1-jit", 5, 16, layers)
    return eager, scripted


def test_scripted_seed_gru_equals_eager_outputs_and_gradients():
    eager, scripted = _pair()
    x = torch.randn(4, 9, 5)
    for lengths in (None, torch.tensor([9, 3, 6, 1])):
        for m in (eager, scripted):
            m.zero_grad()
        a, b = eager(x, lengths), scripted(x, lengths)
        assert torch.allclose(a[0], b[0], atol=1e-6)
        assert torch.allclose(a[1], b[1], atol=1e-6)
        a[0].pow(2).sum().backward()
        b[0].pow(2).sum().backward()
        for p, q in zip(eager.parameters(), scripted.parameters(), strict=True):
            assert torch.allclose(p.grad, q.grad, atol=1e-5)


def test_seed_gru_follows_the_seed_equations_step_by_step():
    torch.manual_seed(0)
    core = build_core("gru-seed", 3, 4, 1)
    layer = core.layers[0]
    x = torch.randn(2, 5, 3)
    H = 4
    h = torch.zeros(2, H)
    wx, wh, b = layer.weight_x, layer.weight_h, layer.bias
    for t in range(5):
        r = torch.sigmoid(x[:, t] @ wx[:H].t() + h @ wh[:H].t() + b[:H])
        z = torch.sigmoid(x[:, t] @ wx[H : 2 * H].t() + h @ wh[H : 2 * H].t() + b[H : 2 * H])
        cand = torch.tanh(x[:, t] @ wx[2 * H :].t() + (r * h) @ wh[2 * H :].t() + b[2 * H :])
        h = (1 - z) * h + z * cand
    out, last, _ = core(x)
    assert torch.allclose(last, h, atol=1e-6)
    assert torch.allclose(out[:, -1], h, atol=1e-6)


def test_scripted_seed_gru_survives_deepcopy_as_training_warm_up_needs():
    import copy

    _, scripted = _pair(layers=1)
    twin = copy.deepcopy(scripted)
    x = torch.randn(2, 3, 5)
    assert torch.equal(twin(x)[0], scripted(x)[0])
