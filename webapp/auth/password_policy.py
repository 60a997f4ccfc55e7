"""What a password must be (NCSC and OWASP ASVS style): long enough, not absurdly long,
not one of the commonly used passwords, and not the account's own email or the service's
name. No composition rules (capitals, symbols): they make passwords worse, not better.

zxcvbn estimates how guessable a password is from the passwords, words and names seen
most often in breaches, and from keyboard walks, repeats and dates: a password it rates
below 3 (of 4) is refused as too easy to guess.
"""

from __future__ import annotations

MIN_LENGTH = 12
MAX_LENGTH = 128
# Passwords published with the code (the demo's, the docs' examples): never for a real
# account, whatever zxcvbn makes of them.
KNOWN_DEFAULT_PASSWORDS = frozenset({"b2b-demo-password", "dev-only-not-secret",
                                     "change-me-please"})


def password_problem(password: str, *, email: str = "", words: tuple[str, ...] = ()) -> str | None:
    """Why this password may not be used, in words for the person choosing it, or ``None``."""
    if len(password) < MIN_LENGTH:
        return f"Your password must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"Your password must be {MAX_LENGTH} characters or fewer"
    folded = password.casefold()
    if folded in KNOWN_DEFAULT_PASSWORDS:
        return "This password is published (a demo or example password): choose another"
    local = email.split("@")[0].casefold()
    if (local and len(local) >= 4 and local in folded) or any(
            w and w.casefold() in folded for w in words):
        return "Your password must not contain your email address or the name of the service"
    from zxcvbn import zxcvbn

    if zxcvbn(password, user_inputs=[email, *words])["score"] < 3:
        return ("This password is too easy to guess (it is common, or a pattern). Choose "
                "another, for example three random words")
    return None
