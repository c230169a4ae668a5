"""The browser voice simulator: talk to the skill in a web page, hear it with its pauses.

A development tool, started only by ``python -m skill simulator`` (docs/simulator.md):
the page's words go through the same resolver as the chat and the phone line, as real Alexa
request envelopes, through the same ``lambda_handler``.
"""
