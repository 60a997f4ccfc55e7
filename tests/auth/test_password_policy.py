"""The password rules: length, guessability, nothing personal, no composition rules."""

from webapp.auth.password_policy import password_problem


def test_length_guessable_and_personal():
    assert "at least 12" in password_problem("short")
    assert "128 characters" in password_problem("x" * 129 + "yz")
    for weak in ("passwordpassword", "123456789012", "qwertyuiopas", "iloveyou1234",
                 "aaaaaaaaaaaaaa"):
        assert "too easy to guess" in password_problem(weak), weak
    assert "email" in password_problem("office.manager2026!", email="office.manager@x.org")
    assert "name of the service" in password_problem("kent b2b sync rocks", words=("b2b",))
    assert password_problem("correct horse battery staple") is None
    assert password_problem("lantern gravy oboe tundra") is None  # no symbols needed
