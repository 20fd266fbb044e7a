"""Server auto-detection: SRV (RFC 6186/8314), autoconfig XML, MX, then guessing.

The entry point is `detect.detect(email, DetectOptions(...), progress=...)`.
"""
