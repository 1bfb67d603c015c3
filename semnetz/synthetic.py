"""A synthetic neighbourhood network of any size, reproducible from a seed (for speed benchmarks).

People combine a trade or role with offers, availability, a child alias, needs and who-knows-whom edges,
in German and some English, so that encoder, index and store see text shaped like the real thing.
"""

from __future__ import annotations

import random

FIRST_NAMES = ("Anna Lena Sarah Julia Laura Lisa Marie Katharina Sophie Hannah Ayşe Fatma Elif Zeynep Svetlana Olga "
               "Agnieszka Magdalena Giulia Chiara Linh Mai Emma Chloe Lucy Markus Thomas Stefan Jonas Tobias Felix "
               "Lukas Jan Mehmet Burak Emre Igor Sergej Piotr Marco Luca Minh James Tom Mark David Omar Karim").split()
LAST_NAMES = ("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf "
              "Schröder Neumann Schwarz Braun Zimmermann Krüger Demir Yılmaz Kaya Şahin Petrova Iwanow Nowak "
              "Kowalski Rossi Bianchi Nguyen Tran Smith Miller Brown Wilson Evans Hassan Al-Sayed Lehmann").split()
KIDS = ("Emil Mia Leon Emma Noah Paula Ben Lina Finn Ella Paul Clara Elias Ida Felix Mila Jonas Lea Anton Nele "
        "Can Elif Mischa Malte Emily Oskar Greta Theo Frieda Levi Zoe Luca Hanna Max Juna").split()
ROLES = [
    ("Elektriker", ["Lampen anschließen", "Steckdosen reparieren", "Sicherungskasten prüfen"]),
    ("Klempnerin", ["Wasserhahn reparieren", "Abfluss frei machen", "Heizung entlüften"]),
    ("Tischler", ["Möbel nach Maß", "Türen einstellen", "Regale bauen"]),
    ("Malerin", ["Wohnung streichen", "Tapezieren", "Lackierarbeiten"]),
    ("Kinderärztin", ["Vorsorgeuntersuchungen", "kranke Kinder kurzfristig anschauen", "Impfberatung"]),
    ("Zahnarzt", ["Kontrolle für Kinder", "Zahnschmerzen Notfall"]),
    ("Hebamme", ["Wochenbettbetreuung", "Stillberatung", "Geburtsvorbereitung"]),
    ("Logopädin", ["Sprachförderung für Kinder", "Hilfe beim Lispeln und Stottern"]),
    ("Physiotherapeut", ["Rückenschmerzen behandeln", "Kinderphysiotherapie"]),
    ("Studentin", ["Babysitten abends", "Babysitten am Wochenende", "Nachhilfe Mathe"]),
    ("Lehrerin", ["Nachhilfe Deutsch", "Hausaufgabenhilfe", "Lesetraining"]),
    ("Übersetzer", ["Übersetzungen Türkisch-Deutsch", "Begleitung zu Behörden"]),
    ("Kfz-Mechaniker", ["Auto reparieren", "Reifen wechseln", "TÜV-Vorbereitung"]),
    ("Fahrradmechanikerin", ["Fahrrad reparieren", "Kindersitz montieren", "Lastenrad verleihen"]),
    ("Steuerberaterin", ["Steuererklärung", "Beratung Elterngeld"]),
    ("Anwältin", ["Mietrecht", "Familienrecht", "Arbeitsrecht"]),
    ("IT-Berater", ["Computer einrichten", "WLAN reparieren", "Handy Datenrettung"]),
    ("Friseurin", ["Kinderhaarschnitt", "Hausbesuche zum Haareschneiden"]),
    ("Fotografin", ["Familienfotos", "Bewerbungsfotos"]),
    ("Klavierlehrer", ["Klavierunterricht für Kinder", "Musiktheorie"]),
    ("Schwimmtrainerin", ["Seepferdchen-Kurs", "Schwimmtraining"]),
    ("Erzieherin", ["Tipps zur Kita-Eingewöhnung", "Kinderbetreuung am Nachmittag"]),
    ("Sozialarbeiter", ["Hilfe beim Kindergeld-Antrag", "Anträge beim Jobcenter"]),
    ("Gärtnerin", ["Garten pflegen", "Hecke schneiden", "Balkon bepflanzen"]),
    ("Schneiderin", ["Hosen kürzen", "Kostüme nähen", "Reißverschluss ersetzen"]),
    ("Konditorin", ["Geburtstagstorten", "Catering für Kindergeburtstage"]),
    ("Umzugshelfer", ["Transporter fahren", "Möbel tragen", "Umzugskartons verleihen"]),
    ("Hundesitterin", ["Gassi gehen", "Katze füttern im Urlaub"]),
    ("Plumber", ["fixes leaking taps", "unblocks drains", "bathroom repairs"]),
    ("Software developer", ["helps with computers", "sets up home Wi-Fi", "repairs laptops"]),
    ("English teacher", ["English tutoring for kids", "conversation practice"]),
    ("Nurse", ["advice when kids are sick", "first aid courses"]),
]
AVAILABILITY = ["kommt meist kurzfristig", "nur am Wochenende", "abends erreichbar", "ab 17 Uhr", "tagsüber im Büro",
                "vormittags am besten", "flexibel", "usually weekends", "evenings only"]
CONTEXTS = ["kennen uns vom Spielplatz", "aus der Kita", "Nachbarin im dritten Stock", "vom Elternabend",
            "aus dem Sportverein", "from the international school", "wohnt gegenüber"]
NEEDS = [("suche größere Wohnung", "bis März"), ("Babysitter für Samstagabend", "Samstag"),
         ("Nachhilfe Mathe für die Tochter", "nächste Woche"), ("Kinderfahrrad gesucht", None),
         ("Hilfe beim Umzug", "ab Januar"), ("need a plumber", "ASAP"), ("Tagesmutter gesucht", "ab September"),
         ("Wasserhahn tropft", "morgen"), ("Steuererklärung machen lassen", "bis Juli"), ("Laptop ist kaputt", None)]
STREETS = ("Lindenstraße Bahnhofstraße Gartenweg Schulstraße Kirchplatz Marktstraße Am Park Bergstraße Ringstraße "
           "Mühlenweg Rosenweg Feldstraße Hauptstraße Parkallee Uferweg Brunnenstraße Birkenweg Ahornweg").split()
DISTRICTS = ("Ehrenfeld Nippes Sülz Kalk Deutz Mülheim Lindenthal Porz Riehl Bayenthal Zollstock Longerich "
             "Bickendorf Vogelsang Klettenberg Raderberg").split()
QUALIFIERS = ["auch kurzfristig", "gern für Familien", "zum Freundschaftspreis", "mit eigenem Werkzeug",
              "auch am Samstag", "nach Absprache", "for English speakers too", "auch mit Kindern",
              "am liebsten vormittags", "seit vielen Jahren", "bei Bedarf mit Rechnung", "auch kleine Aufträge"]
RELATIONS = ["Schwester", "Bruder", "Kollege", "Nachbarin", "Freundin", "Cousin", "Bekannte"]
QUERIES = ["brauche Handwerker", "suche größere Wohnung", "Kind hat Fieber", "need a plumber", "Wasserhahn tropft",
           "wer kann mein Fahrrad reparieren", "Babysitter am Samstag", "Nachhilfe in Mathe", "Hilfe beim Umzug",
           "Steckdose geht nicht", "my laptop is broken", "Kindergeburtstag Torte", "Hose kürzen",
           "Steuererklärung Hilfe", "Kind lispelt", "Zahnschmerzen", "Familienfotos machen lassen",
           "Schwimmkurs für Kinder", "Anwalt Mietrecht", "Katze füttern im Urlaub"]


def generate_people(n: int, seed: int = 0, via_share: float = 0.15, edges_per_person: float = 1.5) -> list[dict]:
    """n people as import-format dicts with ids s0000001…, reproducible from seed."""
    rng = random.Random(seed)
    people = []
    for i in range(n):
        role, offers = rng.choice(ROLES)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        kid = rng.choice(KIDS)
        parent = "Mama" if rng.random() < 0.6 else "Papa"
        # per-person details (street, years, district) keep most texts unique, as real notes are
        text = (f"{kid}s {parent} {rng.choice(CONTEXTS)} in der {rng.choice(STREETS)} {rng.randint(1, 120)}. "
                f"{role} seit {rng.randint(1, 30)} Jahren und {rng.choice(AVAILABILITY)}.")
        chosen = rng.sample(offers, k=rng.randint(1, len(offers)))
        person = {
            "id": f"s{i:07d}",
            "name": name,
            "aliases": [f"{kid}s {parent}"],
            "text": text,
            "offers": [f"{o} {rng.choice(QUALIFIERS)} in {rng.choice(DISTRICTS)}" for o in chosen],
        }
        if rng.random() < 0.2:
            need, when = rng.choice(NEEDS)
            person["needs"] = [{"text": need, "when": when} if when else need]
        people.append(person)
    for i, person in enumerate(people):
        if i == 0:
            continue
        for _ in range(int(edges_per_person) + (rng.random() < edges_per_person % 1)):
            other = rng.randrange(0, i)
            person.setdefault("knows", [])
            if all(k["id"] != people[other]["id"] for k in person["knows"]):
                person["knows"].append({"id": people[other]["id"], "relation": rng.choice(RELATIONS),
                                        "strength": round(rng.uniform(0.3, 1.0), 2)})
        if person.get("knows") and rng.random() < via_share:
            person["via"] = person["knows"][0]["id"]
    return people


def generate_queries(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed + 1)
    return [rng.choice(QUERIES) + ("" if rng.random() < 0.5 else f" {rng.choice(AVAILABILITY)}") for _ in range(n)]
