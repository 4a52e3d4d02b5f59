"""Print a .env for the embedded default: a fresh random SECRET_KEY, served on plain http locally."""

import secrets

print(
    "\n".join(
        [
            "# Written by `make run` for the embedded default. See .env.example for every setting.",
            "DEBUG=false",
            f"SECRET_KEY={secrets.token_urlsafe(50)}",
            "ALLOWED_HOSTS=127.0.0.1,localhost",
            "# Plain http on this machine only; production must keep HTTPS on (the default).",
            "SECURE_HTTPS=false",
        ]
    )
)
