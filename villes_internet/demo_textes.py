"""The words the demo writes with: people's names and functions, and the parts its fiches are
assembled from (subjects and the services they are tagged with, how each subject's share moves
over the years, publics, contexts, what was done, results, tools, partners). Varied, plausible
and searchable in French; ``demo`` draws from them with its seeded random generator.
"""

FIRST_NAMES = [
    "Camille",
    "Dominique",
    "Claude",
    "Sandrine",
    "Karim",
    "Nathalie",
    "Thomas",
    "Léa",
    "Hugo",
    "Mathilde",
    "Yannick",
    "Sophie",
    "Julien",
    "Aïcha",
    "Pierre",
    "Élodie",
    "Marc",
    "Inès",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèbvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
]
FONCTIONS = [
    "Maire",
    "Adjoint au numérique",
    "Directrice générale des services",
    "Chargé de mission numérique",
    "Responsable informatique",
    "Conseillère numérique",
    "Secrétaire de mairie",
    "Chargée de communication",
]

# Fiche texts are assembled from parts: varied, plausible, and searchable in French.
ACTIONS = [
    "ateliers hebdomadaires",
    "un service dédié",
    "une plateforme en ligne",
    "un programme sur trois ans",
    "un espace ouvert à tous",
    "déploiement dans tous les quartiers",
    "accompagnement personnalisé",
    "lancement d'un dispositif",
    "création d'un portail",
    "formation des équipes",
]
# Subject of a demo fiche → the services it is tagged with (names of the taxonomy).
SUJETS = {
    "médiation numérique": ["Inclusion et médiation numérique", "Accompagnement numérique des seniors"],
    "démarches en ligne": [
        "Dématérialisation des démarches",
        "Accès aux services publics, droits et démarches",
    ],
    "participation citoyenne": [
        "Participation citoyenne en ligne",
        "Participation démocratique des citoyens",
    ],
    "budget participatif": [
        "Participation démocratique des citoyens",
        "Transparence de la gouvernance locale",
    ],
    "données ouvertes": [
        "Données publiques et territoriales (open data)",
        "Transparence de la gouvernance locale",
    ],
    "cybersécurité": ["Cybersécurité", "Protection des données personnelles"],
    "inclusion numérique": ["Inclusion et médiation numérique", "Insertion par le numérique"],
    "école numérique": [
        "Soutien et équipement des structures éducatives",
        "Organisation de la communauté éducative",
    ],
    "télémédecine": ["Accès aux informations pratiques", "Aides à l'équipement des publics en difficulté"],
    "réservation des équipements sportifs": [
        "Accès aux sports et loisirs",
        "Dématérialisation des démarches",
    ],
    "consultation publique": ["Participation démocratique des citoyens", "Participation citoyenne en ligne"],
    "signalement des incidents de voirie": [
        "Accès aux informations pratiques",
        "Mise en réseau des habitants",
    ],
    "sobriété numérique": ["Sobriété numérique", "Développement durable"],
    "numérisation des archives": ["Numérisation du patrimoine", "Accès aux ressources culturelles"],
    "cartographie participative": [
        "Co-production et hébergement de contenus",
        "Mise en réseau des habitants",
    ],
    "intelligence artificielle": [
        "Intelligence artificielle dans l'action publique",
        "Soutien à l'innovation",
    ],
    "accessibilité des services": [
        "Accessibilité des services publics",
        "Accès aux services publics, droits et démarches",
    ],
    "prêt de matériel informatique": [
        "Aides à l'équipement des publics en difficulté",
        "Inclusion et médiation numérique",
    ],
    "visioconférence pour les conseils municipaux": [
        "Transparence de la gouvernance locale",
        "Formation et implication des élus et des agents",
    ],
    "tiers-lieu numérique": [
        "Mise en réseau des habitants",
        "Partenariats et mise en réseau des acteurs économiques",
    ],
    "site internet de la commune": ["Accès aux informations pratiques", "Marketing territorial"],
    "wifi public": ["Haut et très haut débit", "Mise en réseau des habitants"],
}
# How a subject's share of the fiches changes year after year (its weight is multiplied by
# e^t a year): today's themes of the palmarès rise, the first years' fall, the others stay.
# The observatoire (/observatoire/) shows these trends.
TENDANCES = {
    "intelligence artificielle": 0.5,
    "cybersécurité": 0.35,
    "sobriété numérique": 0.35,
    "accessibilité des services": 0.2,
    "données ouvertes": 0.2,
    "médiation numérique": 0.15,
    "démarches en ligne": 0.15,
    "participation citoyenne": 0.1,
    "site internet de la commune": -0.35,
    "wifi public": -0.35,
    "visioconférence pour les conseils municipaux": -0.25,
    "numérisation des archives": -0.15,
    "télémédecine": -0.1,
}
PUBLICS = [
    "pour les seniors",
    "pour les familles",
    "pour les jeunes",
    "pour les agents",
    "pour les élus",
    "pour les associations",
    "pour les commerçants",
    "dans les quartiers populaires",
    "pour tous les habitants",
    "pour les demandeurs d'emploi",
]
CONTEXTES = [
    "Constatant qu'une partie des habitants renonçait à ses droits faute d'accès aux démarches en ligne,",
    "À la demande du conseil municipal des jeunes,",
    "Dans le cadre du schéma directeur numérique,",
    "Avec l'appui du conseiller numérique France Services,",
    "Après une consultation des habitants,",
    "Pour répondre à la fermeture de guichets de proximité,",
]
REALISATIONS = [
    "la collectivité a ouvert des permanences hebdomadaires à la médiathèque",
    "un outil libre a été installé et paramétré par le service informatique",
    "les agents d'accueil ont été formés pendant trois demi-journées",
    "une association locale anime les séances avec des bénévoles",
    "le service est accessible en ligne et au guichet de la mairie",
    "des tablettes sont prêtées aux habitants qui n'en ont pas",
]
RESULTATS = [
    "Plus de {n} personnes accompagnées la première année.",
    "{n} démarches réalisées en ligne.",
    "Un taux de satisfaction de {p} % mesuré par questionnaire.",
    "{n} participants aux ateliers.",
    "Le temps d'attente au guichet a baissé de {p} %.",
]
OUTILS = [
    "Logiciel libre",
    "Nextcloud",
    "Decidim",
    "OpenStreetMap",
    "LibreOffice",
    "Moodle",
    "Jitsi",
    "Tablettes",
    "Bornes interactives",
    "Site internet de la commune",
]
PARTENAIRES = [
    "Médiathèque municipale",
    "Centre communal d'action sociale",
    "France Services",
    "Association Emmaüs Connect",
    "Département",
    "Région",
    "Syndicat mixte numérique",
    "La Poste",
]
