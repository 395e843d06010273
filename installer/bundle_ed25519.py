"""Ed25519 signature verification in pure Python (RFC 8032, section 5.1.7), standard library only.

The installer runs on an air-gapped host whose Python may not have ``cryptography``; the wheel in the
bundle cannot be used to check the bundle that carries it. So verification falls back to this module
when ``cryptography`` is not importable (``bundle_format.verify_signature`` prefers the library).

The arithmetic follows the reference code of RFC 8032 section 6 (a code component of an RFC, under the
Simplified BSD License of the IETF Trust). Only verification is implemented: it handles no secret, so
the variable-time big-integer arithmetic is not a side channel here. It is slow (tens of milliseconds),
which is irrelevant for one signature per install.

Hazard: this is the *cofactorless* check ``[S]B == R + [k]A`` with canonical-encoding checks
(``S < L``, coordinates below ``p``), the same acceptance rule as OpenSSL's; a test compares both on
valid and tampered inputs.
"""

from __future__ import annotations

import hashlib

Point = tuple[int, int, int, int]  # extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # order of the base point
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY: Point = (0, 1, 1, 0)


def _add(a: Point, b: Point) -> Point:
    """Point addition on the twisted Edwards curve (complete formula, also valid for doubling)."""
    x1 = (a[1] - a[0]) * (b[1] - b[0]) % P
    x2 = (a[1] + a[0]) * (b[1] + b[0]) % P
    c = 2 * a[3] * b[3] * D % P
    d = 2 * a[2] * b[2] % P
    e, f, g, h = x2 - x1, d - c, d + c, x2 + x1
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(scalar: int, point: Point) -> Point:
    result = IDENTITY
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _equal(a: Point, b: Point) -> bool:
    # Projective equality: x1/z1 == x2/z2 and y1/z1 == y2/z2, cross-multiplied to avoid inversions.
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= P:
        return None  # non-canonical encoding
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None  # not on the curve
    if (x & 1) != sign:
        x = P - x
    return x


def _decompress(encoded: bytes) -> Point | None:
    if len(encoded) != 32:
        return None
    y = int.from_bytes(encoded, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


_BASE_Y = 4 * pow(5, P - 2, P) % P
_BASE_X = _recover_x(_BASE_Y, 0) or 0  # the base point's x is known to exist (and is non-zero)
BASE: Point = (_BASE_X, _BASE_Y, 1, _BASE_X * _BASE_Y % P)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if ``signature`` (64 bytes) is a valid Ed25519 signature of ``message`` under the raw
    32-byte ``public_key``. Never raises on malformed input; it is simply not valid."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decompress(public_key)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False  # malleable (non-canonical) S
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    return _equal(_mul(s, BASE), _add(r, _mul(k, a)))
