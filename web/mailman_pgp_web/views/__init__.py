"""The app's pages, one module each: owner, moderator, subscriber, public key, webhooks."""
