"""Views of a Trace for people and graph tools: the rich tree, DOT, Mermaid, one HTML page.

Each takes the ops' Trace and returns text (or writes a file); none reads the
chain or the network. The HTML page's template, style and script are package
data under templates/.
"""
