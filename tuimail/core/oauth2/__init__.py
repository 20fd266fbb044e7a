"""OAuth 2.0 sign-in for mail accounts: flows (device grant, authorization code with PKCE on
a loopback redirect, refresh), token storage, and the SASL messages that carry a token.

oauthlib builds the requests and reads the answers (RFC 6749/7636/8628); the HTTP goes
through tuimail.core.oauth2.http with tuimail's TLS policy, so there is one connection
policy for mail servers and authorization servers alike.
"""
