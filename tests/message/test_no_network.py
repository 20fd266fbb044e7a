"""Rendering HTML mail full of remote references never touches the network."""

from __future__ import annotations

import http.server
import threading

from tuimail.core.mime import parse_message, render_message
from tuimail.words.notes import reader_notes


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body{}")

    def log_message(self, *args: object) -> None:
        pass


def test_html_rendering_fetches_nothing() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        html = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "{base}/dtd">
<html><head><link rel="stylesheet" href="{base}/link.css"><link rel="preload" href="{base}/pre">
<link rel="icon" href="{base}/icon"><base href="{base}/base/"><meta http-equiv="refresh" content="0;url={base}/refresh">
<style>@import url("{base}/import.css"); body {{ background: url({base}/cssbg.png) }}
@font-face {{ src: url({base}/font.woff) }}</style><script src="{base}/script.js"></script></head>
<body background="{base}/bodybg.png" style="background-image:url({base}/inline.png)">
<img src="{base}/img.png" alt="pic"><img srcset="{base}/1x.png 1x, {base}/2x.png 2x">
<picture><source srcset="{base}/source.webp"><img src="{base}/pict.png"></picture>
<iframe src="{base}/iframe.html"></iframe><frame src="{base}/frame"><object data="{base}/obj"></object>
<embed src="{base}/embed"><video src="{base}/video" poster="{base}/poster.png"></video>
<audio src="{base}/audio"></audio><table background="{base}/tablebg.png"><tr><td>cell</td></tr></table>
<svg><image href="{base}/svgimage.png"/></svg><input type="image" src="{base}/input.png">
<a href="{base}/clicked">Visible link text</a></body></html>"""
        raw = (
            "From: news@example.com\r\nSubject: remote\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n"
        ).encode()
        rendered = render_message(parse_message(raw))
        text = rendered.as_text(notes=reader_notes(rendered))
        # Also through the XHTML path lxml might treat differently.
        render_message(parse_message(raw.replace(b"<!DOCTYPE", b'<?xml version="1.0"?><!DOCTYPE')))
        # The server works: a request we make ourselves is recorded ...
        import urllib.request

        with urllib.request.urlopen(f"{base}/control", timeout=10) as resp:
            resp.read()
        assert _Recorder.hits == ["/control"], _Recorder.hits
        # ... and the rendering made none.
        assert "Visible link text [1]" in text and f"[1] {base}/clicked" in text
        assert "remote content not loaded" in text
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
