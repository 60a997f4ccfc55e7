"""The LA admin's pages: people (invitations, disabling), upload API tokens, the weekly cycle."""
