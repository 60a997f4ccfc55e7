"""LA admins manage the people who sign in."""
