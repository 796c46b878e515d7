# ruff: noqa: E501  (one note per line reads better than split strings)
"""Realistic French case notes (entirely fictitious) with their sensitive spans, for redaction tests.

``names`` is what a pipeline knows from the record itself (the person and the contacts in the same
record) and passes to ``Redactor.redact``; ``persons`` lists every person mentioned, including
staff and third parties the record does not name, which only NER can catch. NIRs and IBANs carry
valid check keys, as real ones would.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseNote:
    text: str
    names: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    nirs: tuple[str, ...] = ()
    ibans: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    places: tuple[str, ...] = ()

    @property
    def sensitive(self) -> tuple[str, ...]:
        return (
            self.persons
            + self.phones
            + self.emails
            + self.nirs
            + self.ibans
            + self.addresses
            + self.birth_dates
            + self.places
        )


CASE_NOTES: list[CaseNote] = [
    CaseNote(
        "Visite à domicile chez M. Dupont, logement propre, rendez-vous CCAS prévu jeudi.",
        names=("Jean", "Dupont"),
        persons=("Dupont",),
    ),
    CaseNote(
        "Mme Fatou Diallo a appelé le 06 12 34 56 78 pour signaler une fuite dans la salle de bain.",
        names=("Fatou", "Diallo"),
        persons=("Fatou Diallo",),
        phones=("06 12 34 56 78",),
    ),
    CaseNote(
        "Entretien avec Marie-Hélène Lefèvre au CMP, elle dit mieux dormir depuis l'entrée dans le logement.",
        names=("Marie-Hélène", "Lefèvre"),
        persons=("Marie-Hélène Lefèvre",),
    ),
    CaseNote(
        "Jean a rencontré son conseiller à la Mission locale de Villeurbanne pour une formation.",
        names=("Jean", "Moreau"),
        persons=("Jean",),
        places=("Villeurbanne",),
    ),
    CaseNote(
        "Kevin est hospitalisé depuis lundi, visite prévue avec l'équipe mobile vendredi.",
        names=("Kevin", "Martins"),
        persons=("Kevin",),
    ),
    CaseNote(
        "Rendez-vous avec la CAF pour le dossier APL, accompagnement physique par Sophie Girard.",
        names=("Ahmed", "Benali"),
        persons=("Sophie Girard",),
    ),
    CaseNote(
        "Le SPIP a convoqué M. Benali le 12 mars. Joignable au 07.81.22.43.19 ou par mail a.benali@gmail.com.",
        names=("Ahmed", "Benali"),
        persons=("Benali",),
        phones=("07.81.22.43.19",),
        emails=("a.benali@gmail.com",),
    ),
    CaseNote(
        "Entrée dans le logement au 12 rue des Lilas 69003 Lyon, bail glissant signé avec le bailleur.",
        names=("Nadia", "Haddad"),
        addresses=("12 rue des Lilas 69003 Lyon",),
    ),
    CaseNote(
        "Monsieur Ionescu, né le 3 janvier 1979, souhaite reprendre contact avec sa fille.",
        names=("Vasile", "Ionescu"),
        persons=("Ionescu",),
        birth_dates=("3 janvier 1979",),
    ),
    CaseNote(
        "Dossier CSS complété : NIR 1 85 05 78 006 084 91 transmis à la CPAM.",
        names=("Karim", "Saidi"),
        nirs=("1 85 05 78 006 084 91",),
    ),
    CaseNote(
        "Le RIB de Mme Nguyen (FR76 3000 6000 0112 3456 7890 189) a été transmis au bailleur pour le prélèvement.",
        names=("Thi Lan", "Nguyen"),
        persons=("Nguyen",),
        ibans=("FR76 3000 6000 0112 3456 7890 189",),
    ),
    CaseNote(
        "Emménagement au 3 bis avenue Jean-Jaurès, il manque encore le lit et la table.",
        names=("Moussa", "Traoré"),
        addresses=("3 bis avenue Jean-Jaurès",),
    ),
    CaseNote(
        "Appel de sa soeur Aminata Traoré au +33 6 45 78 12 90, inquiète car sans nouvelles depuis une semaine.",
        names=("Moussa", "Traoré", "Aminata"),
        persons=("Aminata Traoré",),
        phones=("+33 6 45 78 12 90",),
    ),
    CaseNote(
        "Visite conjointe avec l'infirmière, traitement pris, appartement encombré mais pas d'incurie.",
        names=("Pierre", "Lambert"),
    ),
    CaseNote(
        "Madame Petrova refuse pour l'instant le suivi addicto, on repropose au prochain rendez-vous.",
        names=("Elena", "Petrova"),
        persons=("Petrova",),
    ),
    CaseNote(
        "Relance du bailleur Grand Lyon Habitat pour la réparation du chauffe-eau, intervention demain.",
        names=("Sylvie", "Roux"),
    ),
    CaseNote(
        "Accompagnement au tribunal avec Maître Olivier Chevalier pour l'audience de divorce.",
        names=("Nathalie", "Perrin"),
        persons=("Olivier Chevalier",),
    ),
    CaseNote(
        "Mr Da Silva a perdu son téléphone, nouveau numéro 0623456789 à noter dans le dossier.",
        names=("Joao", "Da Silva"),
        persons=("Da Silva",),
        phones=("0623456789",),
    ),
    CaseNote(
        "helene a oublié son rendez-vous à la Mission locale, à recontacter par sms.",
        names=("Hélène", "Garnier"),
        persons=("helene",),
    ),
    CaseNote(
        "Point avec Yasmine Cherif, éducatrice du CHRS, sur la sortie de Mohamed prévue le mois prochain.",
        names=("Mohamed", "Ouali"),
        persons=("Yasmine Cherif", "Mohamed"),
    ),
    CaseNote(
        "Adresse de contact : 5, boulevard de la Croix-Rousse 69004 Lyon, chez son frère.",
        names=("Rachid", "Bouzid"),
        addresses=("5, boulevard de la Croix-Rousse 69004 Lyon",),
    ),
    CaseNote(
        "Madame Lefebvre a reçu son titre de séjour, inscription à France Travail faite ce matin.",
        names=("Awa", "Lefebvre"),
        persons=("Lefebvre",),
    ),
    CaseNote(
        "Numéro de sécurité sociale 2 90 02 69 123 045 12, carte vitale en cours de fabrication.",
        names=("Julie", "Fontaine"),
        nirs=("2 90 02 69 123 045 12",),
    ),
    CaseNote(
        "Courriel de la mère, madame Dubois, envoyé depuis martine.dubois58@orange.fr pour demander des nouvelles.",
        names=("Thomas", "Dubois", "Martine"),
        persons=("Dubois",),
        emails=("martine.dubois58@orange.fr",),
    ),
    CaseNote(
        "Réunion de synthèse avec le SIAO et le CCAS : maintien dans le logement validé.",
        names=("Paul", "Mercier"),
    ),
    CaseNote(
        "Stéphane dit avoir consommé ce week-end, orientation vers le CSAPA proposée et acceptée.",
        names=("Stéphane", "Caron"),
        persons=("Stéphane",),
    ),
    CaseNote(
        "Mme Ben Salah née le 14/07/1986 à Tunis, arrivée en France en 2012.",
        names=("Leila", "Ben Salah"),
        persons=("Ben Salah",),
        birth_dates=("14/07/1986",),
        places=("Tunis",),
    ),
    CaseNote(
        "Le voisin du dessous se plaint du bruit, médiation organisée avec le gardien de la résidence.",
        names=("Franck", "Blanchard"),
    ),
    CaseNote(
        "NIR transmis par le CHU : 295112B03345685. Dossier AAH déposé à la MDPH.",
        names=("Marie-Ange", "Santoni"),
        nirs=("295112B03345685",),
    ),
    CaseNote(
        "KOWALSKI Marek présent à la visite, il cherche un emploi dans le bâtiment.",
        names=("Marek", "Kowalski"),
        persons=("KOWALSKI Marek",),
    ),
    CaseNote(
        "Virement de la caution effectué sur le compte FR14 2004 1010 0505 0001 3M02 606 du propriétaire.",
        names=("Samir", "Hamidi"),
        ibans=("FR14 2004 1010 0505 0001 3M02 606",),
    ),
    CaseNote(
        "Rendez-vous chez le médecin traitant, Dr Marchand, pour le renouvellement de l'ordonnance.",
        names=("Christine", "Leroy"),
        persons=("Marchand",),
    ),
    CaseNote(
        "Anne-Sophie a contacté l'équipe depuis le 01 45 67 89 12, elle est hébergée chez une amie.",
        names=("Anne-Sophie", "Vidal"),
        persons=("Anne-Sophie",),
        phones=("01 45 67 89 12",),
    ),
    CaseNote(
        "Demande FSL accordée pour la dette de loyer, courrier envoyé à Mme Meunier.",
        names=("Catherine", "Meunier"),
        persons=("Meunier",),
    ),
    CaseNote(
        "Monsieur a déménagé à la résidence Les Tilleuls, boîte aux lettres à son nom installée.",
        names=("Gérard", "Morel"),
        addresses=("résidence Les Tilleuls",),
    ),
    CaseNote(
        "Contact avec l'assistante sociale de l'hôpital, mail secretariat.social@chu-exemple.fr, sortie prévue mardi.",
        names=("Didier", "Faure"),
        emails=("secretariat.social@chu-exemple.fr",),
    ),
    CaseNote(
        "Ibrahima Keita exprime le souhait de voir ses enfants plus souvent, demande au JAF à préparer.",
        names=("Ibrahima", "Keita"),
        persons=("Ibrahima Keita",),
    ),
    CaseNote(
        "Visite annulée : M. Gonzalez était absent, message laissé sur son portable 06-98-76-54-32.",
        names=("Luis", "Gonzalez"),
        persons=("Gonzalez",),
        phones=("06-98-76-54-32",),
    ),
    CaseNote(
        "Ouverture des droits RSA confirmée par la CAF, premier versement attendu le 5.",
        names=("Laurent", "Bertrand"),
    ),
    CaseNote(
        "François (fils de Mme Giraud) est venu aider au ménage, ambiance apaisée dans le logement.",
        names=("Monique", "Giraud", "François"),
        persons=("François", "Giraud"),
    ),
    CaseNote(
        "Né le 21 mars 1968, Monsieur Rousseau fêtera ses 57 ans au logement avec l'équipe.",
        names=("Bernard", "Rousseau"),
        persons=("Rousseau",),
        birth_dates=("21 mars 1968",),
    ),
    CaseNote(
        "Le bailleur signale un impayé de deux mois, plan d'apurement à construire avec la personne.",
        names=("Eric", "Lemoine"),
    ),
    CaseNote(
        "Mme Nguyen Thi Lan a rendez-vous à la PASS le 18, accompagnement prévu par Claire.",
        names=("Thi Lan", "Nguyen"),
        persons=("Nguyen Thi Lan", "Claire"),
    ),
    CaseNote(
        "Coordonnées actualisées : tél +33 (0)7 12 98 45 60, e-mail karim.saidi@laposte.net.",
        names=("Karim", "Saidi"),
        phones=("+33 (0)7 12 98 45 60",),
        emails=("karim.saidi@laposte.net",),
    ),
    CaseNote(
        "Mr Zidane Youssef domicilié 8 impasse des Acacias 13015 Marseille jusqu'à l'entrée dans les lieux.",
        names=("Youssef", "Zidane"),
        persons=("Zidane Youssef",),
        addresses=("8 impasse des Acacias 13015 Marseille",),
    ),
    CaseNote(
        "Atelier cuisine collectif ce mardi, bonne participation, la personne souhaite revenir.",
        names=("Sandrine", "Bailly"),
    ),
]
