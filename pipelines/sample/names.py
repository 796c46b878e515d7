"""French given and family names, relatives, workers and streets used by the sample generator.

Every string here must encode in latin-1 because the housing partner writes latin-1 files:
accents like é è ê ë ç ï ô are fine, the ligature "œ" and typographic quotes are not.
Lists are written as comma-separated text so the formatter keeps them compact.
"""

from __future__ import annotations


def _split(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


# Given names carry the sex so that sex and name always agree.
FEMALE_GIVEN = _split("""
    Marie, Nathalie, Isabelle, Sylvie, Catherine, Françoise, Valérie, Christine, Sandrine, Véronique,
    Stéphanie, Céline, Aurélie, Émilie, Julie, Sophie, Laëtitia, Séverine, Mélanie, Élodie, Caroline,
    Hélène, Cécile, Agnès, Brigitte, Josiane, Monique, Ginette, Thérèse, Geneviève, Danièle, Michèle,
    Gaëlle, Anaïs, Chloé, Léa, Inès, Zoé, Maëlle, Héloïse, Noémie, Océane, Jessica, Amélie, Fatima,
    Aïcha, Khadija, Naïma, Samira, Leïla, Yasmine, Mariam, Awa, Fatoumata, Nadège, Clémence, Margaux,
    Ophélie, Jocelyne, Annick, Claire, Laura, Camille, Manon, Pauline, Sarah, Lucie, Emma, Justine, Karine
""")
FEMALE_COMPOUND = _split("""
    Marie-Hélène, Anne-Sophie, Marie-Thérèse, Marie-Noëlle, Anne-Laure, Marie-Claude, Marie-José,
    Marie-Françoise, Anne-Cécile, Marie-Ève, Rose-Marie, Marie-Pierre
""")
MALE_GIVEN = _split("""
    Jean, Pierre, Michel, Philippe, Alain, Patrick, Nicolas, Christophe, Stéphane, Frédéric, Laurent,
    Sébastien, Éric, Jérôme, David, Olivier, Thierry, Pascal, François, Cédric, Julien, Grégory, Jérémy,
    Rémi, Benoît, Hervé, René, André, Gérard, Bernard, Loïc, Maël, Noël, Joël, Gaël, Raphaël, Mathéo,
    Théo, Timothée, Anthony, Kévin, Mickaël, Yannick, Mohamed, Karim, Saïd, Rachid, Mehdi, Youssef,
    Moussa, Mamadou, Ismaël, Ibrahim, Brahim, Lucas, Hugo, Thomas, Antoine, Vincent, Fabrice, Bruno,
    Didier, Franck, Ludovic, Mathieu, Romain
""")
MALE_COMPOUND = _split("""
    Jean-Éric, Jean-François, Jean-Pierre, Jean-Luc, Jean-Loïc, Pierre-Étienne, Jean-Noël, Jean-Rémi,
    Jean-Sébastien, Paul-Émile, Jean-Michel, Jean-Marc
""")

FAMILY = _split("""
    Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, Laurent,
    Lefèvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, Girard, André, Lefebvre,
    Mercier, Dupont, Lambert, Bonnet, François, Martinez, Legrand, Garnier, Faure, Rousseau, Blanc,
    Guérin, Muller, Henry, Roussel, Nicolas, Perrin, Morin, Mathieu, Clément, Gauthier, Dumont, Lopez,
    Fontaine, Chevalier, Robin, Masson, Sanchez, Gérard, Nguyen, Boyer, Denis, Lemaire, Duval, Joly,
    Gautier, Roger, Roche, Roy, Noël, Meyer, Lucas, Meunier, Pérez, Marchand, Dufour, Blanchard, Barbier,
    Brun, Dumas, Brunet, Schmitt, Leroux, Colin, Fernandez, Renard, Arnaud, Rolland, Caron, Aubert,
    Giraud, Leclerc, Vidal, Bourgeois, Renaud, Lemoine, Picard, Gaillard, Philippe, Lacroix, Fabre,
    Dupuis, Olivier, Rodriguez, Hubert, Rivière, Guillaume, Berger, Lecomte, Ménard, Fleury, Deschamps,
    Carpentier, Benoît, Maillard, Aubry, Vasseur, Prévost, Poirier, Charpentier, Huet, Dupuy, Carré,
    Lebrun, Barré, Besnard, Bouvier, Benali, Haddad, Diallo, Traoré, Diop, Mansouri, Belkacem, Bouaziz,
    Pereira, Ferreira, Hoarau, Payet, Boucher, Lévêque, Thébault, Crépin, Lançon, Provençal, Besançon,
    Côté, Lhôte, Kaïdi, Mallet, Hamon, Collin, Bailly, Hervé, Pelletier, Texier, Gallet, Jourdain,
    Chauvin, Léger
""")
# Names with particles or inner spaces, kept apart so that they stay a visible minority.
FAMILY_PARTICLE = _split("""
    de La Fontaine, de Villeneuve, d'Almeida, d'Alembert, Le Goff, Le Bihan, Le Gall, Le Roux, Da Silva,
    Dos Santos, Da Costa, Ben Saïd, de Sousa, Van der Berg, du Pré, Le Guéné
""")

# People named in case notes: (phrase before the name, sex of the person named).
RELATIVES = (
    ("sa soeur", "F"),
    ("son frère", "M"),
    ("sa mère", "F"),
    ("son père", "M"),
    ("sa fille", "F"),
    ("son fils", "M"),
    ("sa tante", "F"),
    ("son oncle", "M"),
    ("sa curatrice", "F"),
    ("son curateur", "M"),
    ("sa compagne", "F"),
    ("son ami", "M"),
)
WORKERS = (
    ("l'éducatrice", "F"),
    ("le travailleur social", "M"),
    ("la référente", "F"),
    ("l'infirmière", "F"),
    ("le conseiller emploi", "M"),
    ("la psychologue", "F"),
)

STREETS = _split("""
    rue des Lilas, avenue Jean-Jaurès, rue Victor-Hugo, boulevard Gambetta, rue de la République,
    place de l'Église, chemin des Écoliers, rue du Général-Leclerc, impasse des Tilleuls,
    rue Émile-Zola, allée des Peupliers, rue de la Paix
""")
# (postal code, town) near each programme site, for addresses in notes.
TOWNS_BY_SITE = {
    "Lyon": (("69001", "Lyon"), ("69003", "Lyon"), ("69008", "Lyon"), ("69100", "Villeurbanne")),
    "Marseille": (("13001", "Marseille"), ("13003", "Marseille"), ("13014", "Marseille")),
    "Lille": (("59000", "Lille"), ("59160", "Lomme"), ("59800", "Lille"), ("59100", "Roubaix")),
    "Saint-Étienne": (("42000", "Saint-Étienne"), ("42100", "Saint-Étienne"), ("42700", "Firminy")),
}
