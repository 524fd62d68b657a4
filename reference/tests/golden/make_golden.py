#!/usr/bin/env python3
"""Golden RoPE outputs for ropecheck's reference tests, from an independent oracle.

Computes correctly rounded (to nearest, ties to even) RoPE outputs in f64, f32, bf16 and f16 with
mpmath, implementing every definition on its own: the frequencies of each scaling variant (YaRN,
Llama 3 and LongRoPE written as in their reference code, with explicit bands and branches), the
attention factor, the rotation, the rounding into each format (exact rational arithmetic), and a
Ziv-style check (both ends of an error ball round alike, at two precisions). Nothing here comes
from the C++ code.

Exact command (run from the repository root; Debian 12's /usr/bin/python3 3.11 with its
python3-mpmath 1.2.1 package):

    /usr/bin/python3 reference/tests/golden/make_golden.py > reference/tests/golden/golden.json
"""
import json
import math
import random
import sys
from fractions import Fraction

import mpmath
from mpmath import mp, mpf

# (precision p incl. the implicit bit, emin, emax) of each output format.
FORMATS = {"f64": (53, -1022, 1023), "f32": (24, -126, 127), "bf16": (8, -126, 127),
           "f16": (11, -14, 15)}


def max_finite(fmt):
    p, _, emax = FORMATS[fmt]
    return (2 - Fraction(1, 2 ** (p - 1))) * Fraction(2) ** emax


def floor_log2(x):
    """floor(log2(x)) for a positive Fraction."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e > x:
        e -= 1
    if Fraction(2) ** (e + 1) <= x:
        e += 1
    return e


def round_fraction(x, fmt, zero_sign=1.0):
    """RN_fmt(x) for an exact rational x, ties to even, gradual underflow, IEEE overflow."""
    p, emin, _ = FORMATS[fmt]
    if x == 0:
        return math.copysign(0.0, zero_sign)
    sign = -1.0 if x < 0 else 1.0
    ax = abs(x)
    q = max(floor_log2(ax) - p + 1, emin - p + 1)
    n = ax / Fraction(2) ** q
    r = n.numerator // n.denominator
    rem = n - r
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and r % 2 == 1):
        r += 1
    value = r * Fraction(2) ** q
    if value > max_finite(fmt):
        return sign * math.inf
    if value == 0:
        return math.copysign(0.0, sign)
    return sign * float(value)  # exact: value has <= 53 bits and a double's exponent


def to_fraction(v):
    sign, man, exp, _ = v._mpf_  # (mpf.man_exp drops the sign)
    if man == 0 and exp != 0:
        raise ArithmeticError("not a finite number")
    f = Fraction(man) * Fraction(2) ** exp
    return -f if sign else f


def round_double(v, fmt):
    """RN_fmt of a Python float (non-finite values and zeros pass through)."""
    if math.isnan(v):
        return math.nan
    if math.isinf(v) or v == 0.0:
        return v
    return round_fraction(Fraction(v), fmt)


# ---------------------------------------------------------------- frequencies (real numbers)

def theta0(base, i, d):
    return base ** (-mpf(2 * i) / d)


def check_decided(value, threshold, what):
    """A discrete decision on `value` must not be within rounding noise of `threshold`."""
    if abs(value - threshold) < mpf(2) ** (-mp.prec // 2):
        raise ArithmeticError("undecided: " + what)


def frequencies(cfg, seq_len):
    """theta_i for every rotated pair, at the current mp.prec."""
    s = cfg["scaling"]
    d = cfg["rotary_dim"]
    b = mpf(cfg["base"])
    typ = s["type"]
    factor = mpf(s["factor"])
    l0 = cfg["original_max_position_embeddings"] or cfg["max_position_embeddings"]
    pairs = range(d // 2)
    if typ == "default":
        return [theta0(b, i, d) for i in pairs]
    if typ == "linear":
        return [theta0(b, i, d) / factor for i in pairs]
    if typ == "ntk":
        nb = b * factor ** (mpf(d) / (d - 2))
        return [theta0(nb, i, d) for i in pairs]
    if typ == "dynamic":
        lm = cfg["max_position_embeddings"]
        length = max(seq_len, lm)
        nb = b * ((factor * length / lm) - (factor - 1)) ** (mpf(d) / (d - 2))
        return [theta0(nb, i, d) for i in pairs]
    if typ == "yarn":
        def correction_dim(rotations):
            return (d * mpmath.log(l0 / (rotations * 2 * mp.pi))) / (2 * mpmath.log(b))
        low = correction_dim(mpf(s["beta_fast"]))
        high = correction_dim(mpf(s["beta_slow"]))
        if s["truncate"]:
            check_decided(low, mpmath.nint(low), "yarn floor")
            check_decided(high, mpmath.nint(high), "yarn ceil")
            low, high = mpmath.floor(low), mpmath.ceil(high)
        low = max(low, mpf(0))
        high = min(high, mpf(d - 1))
        if low == high:
            high += mpf(0.001)  # HF's Python float 0.001, i.e. the nearest double
        out = []
        for i in pairs:
            ramp = (i - low) / (high - low)
            ramp = min(max(ramp, mpf(0)), mpf(1))
            t = theta0(b, i, d)
            out.append(t / factor * ramp + t * (1 - ramp))
        return out
    if typ == "llama3":
        lff, hff = mpf(s["low_freq_factor"]), mpf(s["high_freq_factor"])
        low_freq_wavelen = l0 / lff
        high_freq_wavelen = l0 / hff
        out = []
        for i in pairs:
            t = theta0(b, i, d)
            wavelen = 2 * mp.pi / t
            check_decided(wavelen, low_freq_wavelen, "llama3 band")
            check_decided(wavelen, high_freq_wavelen, "llama3 band")
            if wavelen < high_freq_wavelen:
                out.append(t)
            elif wavelen > low_freq_wavelen:
                out.append(t / factor)
            else:
                smooth = (l0 / wavelen - lff) / (hff - lff)
                out.append((1 - smooth) * t / factor + smooth * t)
        return out
    if typ == "longrope":
        ext = s["long_factor"] if seq_len > l0 else s["short_factor"]
        return [1 / (mpf(ext[i]) * b ** (mpf(2 * i) / d)) for i in pairs]
    if typ == "proportional":
        k = math.floor(Fraction(s["rotated_fraction"]) * cfg["head_dim"] / 2)
        return [theta0(b, i, d) / factor if i < k else mpf(0) for i in pairs]
    raise ValueError(typ)


def rational_longrope_attention(scale, l0):
    """sqrt(1 + ln S / ln L0) as a Fraction when it is rational (S and L0 integers), else None.
    Searches exponents directly: S^v == L0^u for small u, v."""
    if scale.denominator != 1:
        return None
    s_int = scale.numerator
    for v in range(1, 65):
        for u in range(1, 65 * 4):
            lhs, rhs = s_int ** v, l0 ** u
            if lhs == rhs:
                ratio = Fraction(u, v) + 1
                n, dd = ratio.numerator, ratio.denominator
                rn, rd = math.isqrt(n), math.isqrt(dd)
                if rn * rn == n and rd * rd == dd:
                    return Fraction(rn, rd)
                return None
            if rhs > lhs:
                break
    return None


def attention(cfg):
    """(exact Fraction or None, mpf value at the current precision)."""
    s = cfg["scaling"]
    typ = s["type"]
    factor = s["factor"]
    if typ == "yarn":
        if s["attention_factor"] is not None:
            return Fraction(s["attention_factor"]), mpf(s["attention_factor"])

        def g(scale, m):
            if scale <= 1:
                return mpf(1)
            return mpf(1) / 10 * m * mpmath.log(scale) + 1
        ms, msa = s["mscale"], s["mscale_all_dim"]
        if ms and msa:
            a = g(mpf(factor), mpf(ms)) / g(mpf(factor), mpf(msa))
            return (Fraction(1) if (factor <= 1 or ms == msa) else None), a
        return (Fraction(1) if factor <= 1 else None), g(mpf(factor), 1)
    if typ == "longrope":
        if s["attention_factor"] is not None:
            return Fraction(s["attention_factor"]), mpf(s["attention_factor"])
        l0 = cfg["original_max_position_embeddings"] or cfg["max_position_embeddings"]
        if s["factor_given"]:
            scale = Fraction(factor)
        elif cfg["max_position_embeddings"]:
            scale = Fraction(cfg["max_position_embeddings"], l0)
        else:
            scale = Fraction(1)
        if scale <= 1:
            return Fraction(1), mpf(1)
        exact = rational_longrope_attention(scale, l0)
        value = mpmath.sqrt(1 + mpmath.log(mpf(scale.numerator) / scale.denominator) / mpmath.log(l0))
        return exact, value
    return Fraction(1), mpf(1)


# ---------------------------------------------------------------- one pair, one head

def pair_channels(cfg, i):
    d = cfg["rotary_dim"]
    return (2 * i, 2 * i + 1) if cfg["layout"] == "interleaved" else (i, i + d // 2)


def same_float(a, b):
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def rotate_pair(cfg, seq_len, i, m, xa, xb, fmt):
    """Correctly rounded (y_a, y_b)."""
    nan = math.nan
    if math.isnan(xa) or math.isnan(xb):
        return nan, nan
    with mp.workprec(400):
        theta = frequencies(cfg, seq_len)[i]
        phi_zero = m == 0 or theta == 0
        exact_a, _ = attention(cfg)
        if math.isinf(xa) or math.isinf(xb) or (xa == 0 and xb == 0):
            if phi_zero:
                c, s = 1.0, 0.0
            else:
                phi = m * theta
                c = 1.0 if mpmath.cos(phi) > 0 else -1.0
                s = 1.0 if mpmath.sin(phi) > 0 else -1.0
            return round_double(xa * c - xb * s, fmt), round_double(xa * s + xb * c, fmt)
    if phi_zero:
        out = []
        for w in (xa * 1.0 - xb * 0.0, xa * 0.0 + xb * 1.0):  # IEEE signs of exact zeros
            if w == 0:
                out.append(w)
            elif exact_a is not None:
                out.append(round_fraction(exact_a * Fraction(w), fmt))
            else:
                out.append(ziv(lambda: attention(cfg)[1] * w, Fraction(abs(w)), fmt))
        return tuple(out)

    def compute(which):
        th = frequencies(cfg, seq_len)[i]
        _, a = attention(cfg)
        phi = m * th
        c, s = mpmath.cos(phi), mpmath.sin(phi)
        return a * (xa * c - xb * s) if which == 0 else a * (xa * s + xb * c)
    scale = (Fraction(abs(xa)) + Fraction(abs(xb))) * (1 + abs(m))
    return ziv(lambda: compute(0), scale, fmt), ziv(lambda: compute(1), scale, fmt)


def ziv(evaluate, scale, fmt):
    """RN_fmt of the real that evaluate() approximates to ~2^-prec * scale: accept when both ends
    of a generous ball (2^(20 - prec) * scale * 4) round alike, at prec and again at 2 prec."""
    prec = 320
    while prec <= 20000:
        results = []
        for p in (prec, 2 * prec):
            with mp.workprec(p):
                v = to_fraction(evaluate())
            radius = scale * 4 * Fraction(2) ** (20 - p)
            lo, hi = v - radius, v + radius
            if lo <= 0 <= hi:
                results.append(None)
                continue
            a, b = round_fraction(lo, fmt), round_fraction(hi, fmt)
            results.append(a if same_float(a, b) else None)
        if results[0] is not None and results[1] is not None:
            assert same_float(results[0], results[1]), "precision p and 2p disagree"
            return results[0]
        prec *= 2
    raise ArithmeticError("not decided")


def rotate_head(cfg, seq_len, m, x, fmt):
    y = [round_double(v, fmt) for v in x]  # pass-through channels
    for i in range(cfg["rotary_dim"] // 2):
        a, b = pair_channels(cfg, i)
        y[a], y[b] = rotate_pair(cfg, seq_len, i, m, x[a], x[b], fmt)
    return y


# ---------------------------------------------------------------- the cases

def config(head_dim, rotary_dim, base, layout, max_pos, typ, **scaling):
    s = {"type": typ, "factor": 1.0, "factor_given": False,
         "beta_fast": 32.0, "beta_slow": 1.0, "truncate": True, "mscale": None,
         "mscale_all_dim": None, "attention_factor": None, "low_freq_factor": 1.0,
         "high_freq_factor": 4.0, "short_factor": [], "long_factor": [], "rotated_fraction": 1.0}
    orig = scaling.pop("original_max_position_embeddings", None)
    s.update(scaling)
    if "factor" in scaling:
        s["factor_given"] = scaling.get("factor_given", True)
    return {"head_dim": head_dim, "rotary_dim": rotary_dim, "base": float(base), "layout": layout,
            "max_position_embeddings": max_pos, "original_max_position_embeddings": orig,
            "scaling": s}


def variant_configs(rng, layout):
    d = 16
    longs = [round(rng.uniform(1.0, 40.0), 6) for _ in range(d // 2)]
    shorts = [round(rng.uniform(1.0, 2.0), 6) for _ in range(d // 2)]
    return [
        ("default", config(d, d, 10000, layout, 4096, "default"), 4096),
        ("default-partial", config(24, 8, 10000, layout, 2048, "default"), 2048),
        ("linear", config(d, d, 10000, layout, 4096, "linear", factor=4.0), 4096),
        ("ntk", config(d, d, 10000, layout, 4096, "ntk", factor=8.0), 4096),
        ("dynamic", config(d, d, 500000, layout, 4096, "dynamic", factor=2.0), 3 * 4096 + 5),
        ("yarn", config(d, d, 1000000, layout, 131072, "yarn", factor=4.0,
                        original_max_position_embeddings=32768), 131072),
        ("yarn-deepseek", config(d, d, 10000, layout, 163840, "yarn", factor=40.0,
                                 original_max_position_embeddings=4096, beta_fast=32.0,
                                 beta_slow=1.0, mscale=1.0, mscale_all_dim=1.0), 163840),
        ("yarn-no-truncate", config(d, d, 150000, layout, 131072, "yarn", factor=32.0,
                                    original_max_position_embeddings=4096, truncate=False), 1),
        ("yarn-mscale-ratio", config(d, d, 10000, layout, 65536, "yarn", factor=16.0,
                                     original_max_position_embeddings=4096, mscale=0.707,
                                     mscale_all_dim=1.0), 1),
        ("yarn-equal-betas", config(d, d, 10000, layout, 65536, "yarn", factor=8.0,
                                    original_max_position_embeddings=4096, beta_fast=4.0,
                                    beta_slow=4.0, truncate=False), 1),
        ("llama3", config(d, d, 500000, layout, 131072, "llama3", factor=8.0,
                          original_max_position_embeddings=8192), 131072),
        ("longrope-short", config(d, d, 10000, layout, 131072, "longrope",
                                  original_max_position_embeddings=4096, short_factor=shorts,
                                  long_factor=longs), 4096),
        ("longrope-long", config(d, d, 10000, layout, 131072, "longrope",
                                 original_max_position_embeddings=4096, short_factor=shorts,
                                 long_factor=longs), 4097),
        ("longrope-rational-a", config(d, d, 10000, layout, 512, "longrope",
                                       original_max_position_embeddings=16, short_factor=shorts,
                                       long_factor=longs), 17),
        ("proportional", config(d, d, 10000, layout, 4096, "proportional",
                                rotated_fraction=0.25), 4096),
    ]


def llama31_8b():
    return config(128, 128, 500000.0, "half", 131072, "llama3", factor=8.0,
                  original_max_position_embeddings=8192)


POSITIONS = [0, 1, 2, 7, 1000, 4095, 4097, 12345, 65537, 1000003, 2 ** 24 - 1, 2 ** 24,
             2 ** 24 + 1, 2 ** 31 - 1, 2 ** 40 + 7, 2 ** 53 - 1, -1, -(2 ** 31 - 1), -(2 ** 53 - 1)]


def values(rng, fmt, n, lo, hi):
    out = []
    for _ in range(n):
        v = round_double(rng.choice([-1, 1]) * 2.0 ** rng.uniform(lo, hi), fmt)
        out.append(v)
    return out


def cases():
    rng = random.Random(20240601)
    out = []
    for layout in ("half", "interleaved"):
        for name, cfg, seq_len in variant_configs(rng, layout):
            for fmt in FORMATS:
                positions = rng.sample(POSITIONS, 2)
                for m in positions:
                    x = values(rng, fmt, cfg["head_dim"], -4, 4)
                    out.append((f"{name}/{layout}/{fmt}/m={m}", cfg, seq_len, fmt, m, x))
    # A real model head at the positions that matter most.
    for fmt in FORMATS:
        for m in (0, 2 ** 24 + 1, 2 ** 31 - 1, 2 ** 53 - 1):
            out.append((f"llama-3.1-8b/{fmt}/m={m}", llama31_8b(), 131072, fmt, m,
                        values(rng, fmt, 128, -6, 2)))
    # Magnitudes: tiny, huge, subnormal inputs and outputs near each format's edges.
    edge = config(8, 8, 10000, "half", 4096, "default")
    for fmt, (p, emin, emax) in FORMATS.items():
        qmin = emin - p + 1
        ranges = {"subnormal": (qmin, emin), "tiny": (qmin - 3, emin + 4),
                  "huge": (emax - 3, emax + 1), "mixed": (qmin, emax)}
        for label, (lo, hi) in ranges.items():
            for m in (0, 3, 2 ** 31 - 1):
                out.append((f"edge-{label}/{fmt}/m={m}", edge, 1, fmt, m, values(rng, fmt, 8, lo, hi)))
        # Inputs given as doubles that are not values of fmt (rounded by the reference).
        for m in (0, 5):
            x = [rng.uniform(-3, 3) for _ in range(8)]
            out.append((f"edge-double-inputs/{fmt}/m={m}", edge, 1, fmt, m, x))
    # Signed zeros, infinities, NaN.
    inf, nan = math.inf, math.nan
    specials = [0.0, -0.0, 0.0, 5.0, -0.0, -5.0, inf, 1.0]
    specials2 = [-inf, 2.0, nan, 1.0, -0.0, 0.0, inf, -inf]
    for fmt in ("f64", "bf16"):
        for m in (0, 1, 3, -2):
            out.append((f"special/{fmt}/m={m}", edge, 1, fmt, m, specials))
            out.append((f"special2/{fmt}/m={m}", edge, 1, fmt, m, specials2))
    # Position 0 with a rational attention factor: a x lands exactly on a rounding midpoint.
    rational = variant_configs(random.Random(5), "half")[13][1]
    x = [1 + 2.0 ** -52, -(1 + 2.0 ** -52), 3.0, 1 + 2.0 ** -10] + [1.0] * 12
    for fmt in ("f64", "f16"):
        out.append((f"rational-a-midpoint/{fmt}/m=0", rational, 17, fmt, 0, x))
    return out


def hexf(v):
    return float.hex(v) if not math.isnan(v) else "nan"


def main():
    records = []
    for name, cfg, seq_len, fmt, m, x in cases():
        y = rotate_head(cfg, seq_len, m, x, fmt)
        records.append({"name": name, "config": {**cfg, "base": hexf(cfg["base"])},
                        "seq_len": seq_len, "dtype": fmt, "position": m,
                        "x": [hexf(v) for v in x], "y": [hexf(v) for v in y]})
    # One case per line keeps the file diffable.
    sys.stdout.write('{"generator": "reference/tests/golden/make_golden.py", "mpmath": %s,\n'
                     ' "cases": [\n' % json.dumps(mpmath.__version__))
    sys.stdout.write(",\n".join(json.dumps(r) for r in records))
    sys.stdout.write("\n]}\n")


if __name__ == "__main__":
    main()
