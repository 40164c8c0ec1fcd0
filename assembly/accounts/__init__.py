"""Officers' accounts: signing in, passwords, sessions and administration."""
