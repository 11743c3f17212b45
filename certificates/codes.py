"""Certificate codes: 80 random bits in Crockford base32, shown as 7K3M-Q9XD-2HPA-W4TB.

Pure functions. Typed codes are forgiving: any case, with or without dashes or spaces,
and O/o read as 0, I/i/L/l read as 1 (Crockford's rules).
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16  # 16 x 5 bits = 80 bits
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    value = secrets.randbits(LENGTH * 5)
    chars = []
    for _ in range(LENGTH):
        value, index = divmod(value, 32)
        chars.append(ALPHABET[index])
    return "".join(chars)


def normalize(typed: str) -> str | None:
    """The stored form of a typed code, or None if it cannot be a code."""
    cleaned = "".join(typed.split()).replace("-", "").upper().translate(_ALIASES)
    if len(cleaned) != LENGTH or any(c not in ALPHABET for c in cleaned):
        return None
    return cleaned


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
