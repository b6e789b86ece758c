"""EcoIndex of public pages, measured in Chromium (Playwright, Debian's chromium).

    .venv/bin/python bench/ecoindex.py URL [URL …]

For each page, loaded as a first visit (no cache) in a 1920 × 1080 window until the network is
idle: the elements of its DOM outside SVG drawings, the requests and the kilobytes transferred
(bodies and headers, compressed as sent), and the EcoIndex score and grade computed with the
formula and quantiles published by the Green IT collective (ecoindex.fr): 100 − 5 × (3 × q(DOM)
+ 2 × q(requests) + q(size)) / 6, grades A > 80, B > 70, C > 55, D > 40, E > 25, F > 10, G.
Also each page's HTML size (as decoded) and all its elements, SVG included. Start the portal
first (``make run``, or runserver on the demo); the figures depend on the data, not the machine.
"""

import sys

from playwright.sync_api import sync_playwright

Q_DOM = [
    0, 47, 75, 159, 233, 298, 358, 417, 476, 537, 603, 674, 753, 843, 949, 1076, 1237, 1459, 1801,
    2479, 594601,
]  # fmt: skip
Q_REQ = [0, 2, 15, 25, 34, 42, 49, 56, 63, 70, 78, 86, 95, 105, 117, 130, 147, 170, 205, 281, 3920]
Q_KO = [
    0, 1.37, 144.7, 319.53, 479.46, 631.97, 783.38, 937.91, 1098.62, 1265.47, 1448.32,
    1648.27, 1876.08, 2142.06, 2465.37, 2866.31, 3401.59, 4155.73, 5400.08, 8037.54, 223212.26,
]  # fmt: skip
NOTES = (("A", 80), ("B", 70), ("C", 55), ("D", 40), ("E", 25), ("F", 10))


def quantile(bornes, valeur):
    """The position of ``valeur`` among the quantiles' bounds, interpolated (0 to 20)."""
    for i in range(1, len(bornes)):
        if valeur <= bornes[i]:
            return i - 1 + (valeur - bornes[i - 1]) / (bornes[i] - bornes[i - 1])
    return len(bornes) - 1


def ecoindex(elements, requetes, ko):
    score = 100 - 5 * (3 * quantile(Q_DOM, elements) + 2 * quantile(Q_REQ, requetes) + quantile(Q_KO, ko)) / 6
    note = next((lettre for lettre, seuil in NOTES if score > seuil), "G")
    return score, note


def mesurer(navigateur, adresse):
    contexte = navigateur.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
    page = contexte.new_page()
    finies = []
    page.on("requestfinished", lambda requete: finies.append(requete))
    reponse = page.goto(adresse, wait_until="networkidle")
    tous = page.evaluate("document.getElementsByTagName('*').length")
    elements = tous - page.evaluate("document.querySelectorAll('svg *').length")
    octets = 0
    for requete in finies:
        tailles = requete.sizes()
        octets += tailles["responseBodySize"] + tailles["responseHeadersSize"]
    score, note = ecoindex(elements, len(finies), octets / 1024)
    html = len(reponse.body()) / 1024
    print(
        f"{adresse}\n  HTML {html:.1f} ko, {tous} éléments ({elements} hors SVG), {len(finies)} "
        f"requêtes, {octets / 1024:.1f} ko transférés : EcoIndex {note} {score:.0f}"
    )
    contexte.close()


def main(adresses):
    with sync_playwright() as p:
        navigateur = p.chromium.launch(executable_path="/usr/bin/chromium")
        for adresse in adresses:
            mesurer(navigateur, adresse)
        navigateur.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
