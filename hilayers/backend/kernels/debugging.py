"""Kernel of ``check_numerics``."""
from ..errors import NumericsError
from .registry import kernel


@kernel("CheckNumerics")
def _check_numerics(ctx, op, x):
    xp = ctx.xp
    finite = xp.isfinite(x)
    if bool(finite.all()):
        return x
    nans = int(xp.isnan(x).sum())
    infs = int((~finite).sum()) - nans
    found = " and ".join(part for part in (
        f"{nans} NaN" + ("s" if nans != 1 else "") if nans else "",
        f"{infs} infinit" + ("ies" if infs != 1 else "y") if infs else "") if part)
    node = getattr(op, "node_name", "?")
    raise NumericsError(f"CheckNumerics (node {node!r}): {op.message}: the tensor of shape "
                        f"{tuple(x.shape)} holds {found} (of {x.size} values).")
