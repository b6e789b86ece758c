"""The weight of a page, for the tests that keep big pages light: its bytes and its DOM nodes."""

from html.parser import HTMLParser


class _Compteur(HTMLParser):
    """Counts the elements of a document (``<br>`` and ``<br/>`` alike), as a browser's DOM
    would hold them; text and comments are not counted."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.noeuds = 0

    def handle_starttag(self, tag, attrs):
        self.noeuds += 1

    def handle_startendtag(self, tag, attrs):
        self.noeuds += 1


def taille(html):
    """(bytes, elements) of ``html``, given as bytes (a response's content) or as text."""
    octets = html if isinstance(html, bytes) else html.encode()
    compteur = _Compteur()
    compteur.feed(octets.decode())
    compteur.close()
    return len(octets), compteur.noeuds


class _HorsSvg(HTMLParser):
    """Counts the elements outside SVG drawings, as EcoIndex counts a page's DOM."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.noeuds, self.svg = 0, 0

    def handle_starttag(self, tag, attrs):
        if not self.svg:
            self.noeuds += 1
        if tag == "svg":
            self.svg += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg -= 1

    def handle_startendtag(self, tag, attrs):
        if not self.svg:
            self.noeuds += 1


def hors_svg(html):
    """The elements of ``html`` outside its SVG drawings (EcoIndex's count of a page's DOM)."""
    compteur = _HorsSvg()
    compteur.feed(html if isinstance(html, str) else html.decode())
    compteur.close()
    return compteur.noeuds
