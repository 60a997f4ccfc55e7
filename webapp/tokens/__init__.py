"""LA admins manage the upload API's tokens."""
