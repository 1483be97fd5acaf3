#!/usr/bin/env python3
"""Deterministic generator of spyatlas loading-benchmark data (standard library only).

Writes into ``--out DIR``:

* ``dump.nq``: exactly ``--triples`` quads (default 1,000,000) in ``--reports``
  report graphs (default 1,000) ``https://w3id.org/spyatlas/report/{slug}``.
  Each graph is one news article modelled on the seed report
  (data/reports/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack.trig):
  the report node (``a sa:Report , schema:NewsArticle``, labels in en/nl/it,
  dct:title, dct:publisher, dct:issued, dct:language, schema:url, dct:subject,
  dct:references ...), then the entities it names and its claims: incidents,
  detections, attributions, customer relationships, targetings (per country and
  per named target), responses. Each graph is valid on its own under
  ontology/shapes.ttl with the ontology and the reference graph
  (data/reference.trig) beside it: every entity a graph points to is either a
  reference entity (id:italy, id:whatsapp ...) or described in that graph.
  Entities recur across reports the way real coverage does: vendors, products,
  governments, agencies, outlets, labs, platforms and some persons are
  described, identically, in every graph that names them; about a fifth of the
  reports follow up an incident of an earlier report (same incident node, the
  report's own sa:status in its own graph).
* ``docs/``: ``--docs`` report documents (default 1,000) of about 50 triples
  each, in the spyatlas report-document format (ontology/context.jsonld),
  alternately YAML (``.yaml``) and JSON-LD (``.jsonld``). Entities and claims
  defined in a document are referenced by slug; entities of the bundled data
  (seed report and reference graph) are referenced by slug or by one of their
  labels in any language, with other case or without diacritics
  (``country: Italië``, ``target: luca casarini``); one person in five is
  written without ``id`` (its slug minted from its English label) and referred
  to by name; every name used matches exactly one entity.
* ``meta.json``: parameters and counts (quads, reports, entities per class,
  documents, the triples each document stands for, name references).

Slugs are minted like spyatlas mints them: the English label (a report: its
dct:title) lowercased, diacritics removed, every run of other characters one
hyphen. The same parameters give byte-identical output.

Usage:
    python3 bench/load/generate.py --out /tmp/load-data
    python3 bench/load/generate.py --triples 40000 --reports 40 --docs 50 --out /tmp/small

Checked with pyshacl by bench/load/validate.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import time
import unicodedata

GENERATOR_VERSION = 2

ID = "https://w3id.org/spyatlas/id/"
SA = "https://w3id.org/spyatlas/ontology#"
REPORT = "https://w3id.org/spyatlas/report/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
CONTEXT_URL = "https://w3id.org/spyatlas/context.jsonld"

LANGS = ("en", "nl", "it")


# ------------------------------------------------------------------ terms ---

def esc(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"')
            .replace("\n", "\\n").replace("\r", "\\r"))


def I(iri: str) -> str:  # noqa: E743 - an IRI term
    return f"<{iri}>"


ID_TERM = "<" + ID


def E(slug: str) -> str:
    return f"<{ID}{slug}>"


def S(local: str) -> str:
    return f"<{SA}{local}>"


def L(text: str, lang: str) -> str:
    return f'"{esc(text)}"@{lang}'


def T(text: str, datatype: str) -> str:
    return f'"{esc(text)}"^^<{XSD}{datatype}>'


def STR(text: str) -> str:
    return f'"{esc(text)}"'


def INT(n: int) -> str:
    return T(str(n), "integer")


def BOOL(b: bool) -> str:
    return T("true" if b else "false", "boolean")


A = I(RDF + "type")
LABEL = I(RDFS + "label")
COMMENT = I(RDFS + "comment")
SEE_ALSO = I(RDFS + "seeAlso")
TITLE = I(DCT + "title")
PUBLISHER = I(DCT + "publisher")
ISSUED = I(DCT + "issued")
LANGUAGE = I(DCT + "language")
SUBJECT = I(DCT + "subject")
REFERENCES = I(DCT + "references")
DERIVED = I(PROV + "wasDerivedFrom")
INFLUENCED = I(PROV + "wasInfluencedBy")
URL = I(SCHEMA + "url")
MENTIONS = I(SCHEMA + "mentions")
NEWS_ARTICLE = I(SCHEMA + "NewsArticle")
NEWS_MEDIA_ORG = I(SCHEMA + "NewsMediaOrganization")


def date_kind(value: str) -> str:
    """xsd datatype of a date as the documents write it (2024, 2024-12, 2024-12-03)."""
    if re.fullmatch(r"\d{4}", value):
        return "gYear"
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return "gYearMonth"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return "date"
    raise ValueError(f"not a date: {value}")


def D(value: str) -> str:
    return T(value, date_kind(value))


# ------------------------------------------------------------ slugs, names ---

def strip_diacritics(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def slugify(text: str) -> str:
    """Lowercase ASCII, diacritics removed, every run of other characters one hyphen."""
    slug = re.sub(r"[^a-z0-9]+", "-", strip_diacritics(text).lower()).strip("-")
    if not slug or not slug.isascii():
        raise ValueError(f"cannot mint an ASCII slug from {text!r}")
    return slug


def name_key(text: str) -> str:
    """How a name matches a label (spyatlas' fold): diacritics removed, lower case,
    every run of characters other than letters and digits one space."""
    return " ".join(re.sub(r"[\W_]+", " ", strip_diacritics(text).lower()).split())


# -------------------------------------------------------------- the pools ---

# Reference graph (data/reference.trig): in the store, never restated.
REFERENCE = {
    "italy": ("Country", ("Italy", "Italië", "Italia")),
    "belgium": ("Country", ("Belgium", "België", "Belgio")),
    "netherlands": ("Country", ("Netherlands", "Nederland", "Paesi Bassi")),
    "israel": ("Country", ("Israel", "Israël", "Israele")),
    "united-kingdom": ("Country", ("United Kingdom", "Verenigd Koninkrijk", "Regno Unito")),
    "whatsapp": ("Platform Organization", ("WhatsApp", "WhatsApp", "WhatsApp")),
    "meta-platforms": ("Organization", ("Meta Platforms", "Meta Platforms", "Meta Platforms")),
}

# Seed report entities (bundled): the documents name them; the dump restates the
# few it uses, exactly as the seed describes them (types, labels, plain edges).
# slug: (types, (en, nl, it), [(property, object slug or concept)])
SEED = {
    "data-news": ("Organization NewsMediaOrganization", ("Data News",) * 3,
                  [("organizationType", "sa:newsOrganization"), ("partOf", "knack")]),
    "knack": ("Organization NewsMediaOrganization", ("Knack",) * 3,
              [("organizationType", "sa:newsOrganization"), ("country", "belgium")]),
    "the-guardian": ("Organization NewsMediaOrganization", ("The Guardian",) * 3,
                     [("organizationType", "sa:newsOrganization"), ("country", "united-kingdom")]),
    "reuters": ("Organization NewsMediaOrganization", ("Reuters",) * 3,
                [("organizationType", "sa:newsOrganization")]),
    "paragon-solutions": ("Vendor", ("Paragon Solutions",) * 3, [("country", "israel")]),
    "paragon-solutions-spyware-unnamed-in-the-source": (
        "Product", ("Paragon Solutions spyware (unnamed in the source)",
                    "Spyware van Paragon Solutions (naamloos in de bron)",
                    "Spyware di Paragon Solutions (senza nome nella fonte)"),
        [("developedBy", "paragon-solutions")]),
    "government-of-italy": ("Government", ("Government of Italy", "Italiaanse overheid", "Governo italiano"),
                            [("country", "italy")]),
    "italian-national-cybersecurity-agency": (
        "Agency", ("Italian National Cybersecurity Agency", "Italiaans agentschap voor cybersecurity",
                   "Agenzia per la cybersicurezza nazionale"),
        [("country", "italy"), ("agencyOf", "government-of-italy")]),
    "francesco-cancellato": ("Person", ("Francesco Cancellato",) * 3,
                             [("role", "sa:investigativeJournalist"), ("country", "italy")]),
    "luca-casarini": ("Person", ("Luca Casarini",) * 3,
                      [("role", "sa:activist"), ("founded", "mediterranea-saving-humans"),
                       ("affiliatedWith", "mediterranea-saving-humans")]),
    "mediterranea-saving-humans": ("Organization", ("Mediterranea Saving Humans",) * 3,
                                   [("organizationType", "sa:humanitarianOrganization")]),
    "husam-el-gomati": ("Person", ("Husam El Gomati",) * 3, [("role", "sa:activist")]),
    "paragon-spyware-attacks-on-whatsapp-users-2024": (
        "Incident", ("Paragon spyware attacks on WhatsApp users (2024)",
                     "Aanvallen met Paragon-spyware op WhatsApp-gebruikers (2024)",
                     "Attacchi con lo spyware di Paragon contro utenti di WhatsApp (2024)"), []),
    "italian-government-press-release-on-the-paragon-spyware-attacks": (
        "Report PressRelease", ("Italian government press release on the Paragon spyware attacks",
                                "Persbericht van de Italiaanse overheid over de aanvallen met Paragon-spyware",
                                "Comunicato stampa del governo italiano sugli attacchi con lo spyware di Paragon"),
        []),
}

# Further countries, described (typed, labelled) in every report graph naming them.
EXTRA_COUNTRIES = [
    ("Spain", "Spanje", "Spagna"), ("France", "Frankrijk", "Francia"),
    ("Germany", "Duitsland", "Germania"), ("Greece", "Griekenland", "Grecia"),
    ("Hungary", "Hongarije", "Ungheria"), ("Poland", "Polen", "Polonia"),
    ("Portugal", "Portugal", "Portogallo"), ("Austria", "Oostenrijk", "Austria"),
    ("Cyprus", "Cyprus", "Cipro"), ("Serbia", "Servië", "Serbia"),
    ("North Macedonia", "Noord-Macedonië", "Macedonia del Nord"), ("Bulgaria", "Bulgarije", "Bulgaria"),
    ("Romania", "Roemenië", "Romania"), ("Armenia", "Armenië", "Armenia"),
    ("Azerbaijan", "Azerbeidzjan", "Azerbaigian"), ("Kazakhstan", "Kazachstan", "Kazakistan"),
    ("Mexico", "Mexico", "Messico"), ("El Salvador", "El Salvador", "El Salvador"),
    ("Colombia", "Colombia", "Colombia"), ("India", "India", "India"),
    ("Indonesia", "Indonesië", "Indonesia"), ("Thailand", "Thailand", "Thailandia"),
    ("Philippines", "Filipijnen", "Filippine"), ("Morocco", "Marokko", "Marocco"),
    ("Egypt", "Egypte", "Egitto"), ("Jordan", "Jordanië", "Giordania"),
    ("Lebanon", "Libanon", "Libano"), ("Saudi Arabia", "Saoedi-Arabië", "Arabia Saudita"),
    ("United Arab Emirates", "Verenigde Arabische Emiraten", "Emirati Arabi Uniti"),
    ("Bahrain", "Bahrein", "Bahrein"), ("Rwanda", "Rwanda", "Ruanda"), ("Togo", "Togo", "Togo"),
    ("Kenya", "Kenia", "Kenya"), ("Uganda", "Oeganda", "Uganda"), ("Ghana", "Ghana", "Ghana"),
    ("Tunisia", "Tunesië", "Tunisia"),
]
WITH_ARTICLE = {"Netherlands", "United Kingdom", "Philippines", "United Arab Emirates"}


def in_en(country_en: str) -> str:
    """'in Italy', 'in the Netherlands'."""
    return f"in the {country_en}" if country_en in WITH_ARTICLE else f"in {country_en}"

FIRST_NAMES = [
    "Alessandra", "Andrea", "Anna", "Antonio", "Beatrice", "Bram", "Carlos", "Carmen", "Chiara",
    "Daan", "Davide", "Elena", "Elif", "Emma", "Fatima", "Federica", "Femke", "Giorgio", "Giulia",
    "Hamid", "Hanna", "Ibrahim", "Inès", "Isabel", "Jan", "Javier", "Joost", "José", "Julia",
    "Karim", "Laura", "Layla", "Lena", "Lorenzo", "Lucía", "Marco", "Maria", "Marta", "Matteo",
    "Mehmet", "Miguel", "Mila", "Nadia", "Noor", "Omar", "Paolo", "Pieter", "Rania", "Roberto",
    "Ruben", "Sara", "Sofia", "Stefano", "Thijs", "Tomás", "Valentina", "Wouter", "Yasmin",
    "Youssef", "Zoë", "Ahmed", "Amira", "Bálint", "Csilla", "Dimitris", "Eleni", "Goran", "Ivana",
    "Katarzyna", "Marek", "Nikos", "Petra", "Radu", "Sanne", "Sven", "Teresa", "Vera", "Wiktor",
    "Yara", "Zsófia",
]
LAST_NAMES = [
    "Albers", "Amrani", "Bakker", "Barbieri", "Benali", "Bertolini", "Bianchi", "Bosman", "Caruso",
    "Castillo", "Colombo", "Conti", "Costa", "De Backer", "De Luca", "De Smet", "De Vries", "Dekker",
    "Devos", "El Idrissi", "Esposito", "Farina", "Fernández", "Ferrari", "Fontana", "Gallo",
    "García", "Gómez", "Greco", "Haddad", "Hendriks", "Herrera", "Jansen", "Janssens", "Kaya",
    "Kovács", "Lambert", "Leone", "Lombardi", "Maes", "Mancini", "Marino", "Martín", "Mertens",
    "Moreno", "Mulder", "Nagy", "Navarro", "Öztürk", "Papadopoulos", "Peeters", "Pellegrini",
    "Petrović", "Rinaldi", "Rizzo", "Romano", "Ruiz", "Russo", "Saidi", "Santoro", "Smit", "Souza",
    "Suárez", "Szabó", "Testa", "Van Damme", "Van den Berg", "Van Dijk", "Vermeulen", "Visser",
    "Vitale", "Wouters", "Yilmaz", "Zanetti", "Ziani", "Nowak", "Horvat", "Popescu", "Ivanova",
    "Georgiou", "Mansour", "Khalil", "Okafor", "Mensah", "Kamau", "Ortega", "Vega", "Molnár",
    "Dimitrov", "Sánchez",
]
INITIALS = "ABCDEFGHJKLMNPRSTVW"

NGO_A = ["Open", "Free", "Safe", "Civic", "Clear", "Bright", "Blue", "Common", "Digital", "Harbour",
         "Northern", "Southern", "Mediterranean", "Alpine", "Coastal", "Urban", "Rural", "Independent",
         "United", "Global"]
NGO_B = ["Shores", "Voices", "Rights", "Futures", "Waters", "Lines", "Ground", "Bridges", "Horizons",
         "Commons", "Records", "Watch"]
NGO_C = ["Network", "Foundation", "Collective", "Initiative", "Alliance", "Project", "Association",
         "Forum", "Coalition", "Trust"]

OUTLET_CITIES = [("Antwerp", "belgium"), ("Bologna", "italy"), ("Bruges", "belgium"), ("Ghent", "belgium"),
                 ("Leuven", "belgium"), ("Liège", "belgium"), ("Milan", "italy"), ("Naples", "italy"),
                 ("Palermo", "italy"), ("Rotterdam", "netherlands"), ("Utrecht", "netherlands"),
                 ("Turin", "italy"), ("Genoa", "italy"), ("Florence", "italy"), ("Eindhoven", "netherlands"),
                 ("Groningen", "netherlands"), ("Verona", "italy"), ("Bari", "italy"), ("Leiden", "netherlands"),
                 ("Namur", "belgium"), ("Trieste", "italy"), ("Maastricht", "netherlands"), ("Padua", "italy"),
                 ("Haarlem", "netherlands")]
OUTLET_PAPERS = ["Courier", "Observer", "Ledger", "Chronicle", "Gazette", "Herald", "Post", "Tribune", "Daily"]

LAB_NAMES = ["Northgate", "Eastbridge", "Lakeside", "Harbourview", "Summit", "Riverbend", "Clearwater",
             "Stonefield", "Westmarch", "Brightwater", "Oakridge", "Highland"]
LAB_KINDS = ["Digital Forensics Lab", "Security Lab"]

VENDOR_A = ["Aster", "Basalt", "Corvid", "Dunmore", "Emberline", "Fjordic", "Granitex", "Halcyon",
            "Ironleaf", "Juniper", "Kestrel", "Lumenor", "Meridian", "Nocturne", "Obsidian", "Pallas",
            "Quillon", "Ravenna", "Sablecrest", "Tessera", "Umbrage", "Vantix", "Wyvern", "Xenolith",
            "Zephyrine"]
VENDOR_B = ["Intelligence", "Cyber Solutions", "Systems", "Labs", "Technologies", "Signals", "Security",
            "Interception"]
VENDOR_COUNTRIES = ["israel", "israel", "israel", "italy", "italy", "united-kingdom", "cyprus", "spain",
                    "north-macedonia", "germany", "united-arab-emirates", "india", "greece", "hungary"]
PRODUCT_NAMES = [
    "Nightjar", "Sparrowhawk", "Cobalt", "Mistral", "Driftwood", "Lantern", "Pinhole", "Quicksilver",
    "Halo", "Tideglass", "Foxglove", "Whisper", "Keystone", "Glasswing", "Nettle", "Starling",
    "Oriole", "Cinder", "Vesper", "Monsoon", "Sirocco", "Petrel", "Bramble", "Thistle", "Kingfisher",
    "Mantis", "Wraith", "Lynx", "Ocelot", "Quill", "Basilisk", "Chimera", "Gossamer", "Hollowpoint",
    "Ivy", "Jackdaw", "Kite", "Larkspur", "Magpie", "Nimbus", "Osprey", "Prism", "Quarry", "Rook",
    "Sentinel", "Tamarisk", "Undertow", "Vireo", "Wren", "Yarrow", "Zenith", "Anvil", "Bellwether",
    "Cormorant", "Dervish", "Egret", "Flint", "Gannet", "Heron", "Ibis",
]

CODE_A = ["Amber", "Ashen", "Azure", "Black", "Bronze", "Cobalt", "Crimson", "Dusky", "Emerald", "Frosted",
          "Gilded", "Golden", "Grey", "Hollow", "Indigo", "Iron", "Ivory", "Jade", "Lunar", "Misty",
          "Night", "Ochre", "Pale", "Quiet", "Red", "Rusty", "Scarlet", "Silent", "Silver", "Solar",
          "Stone", "Storm", "Sunken", "Tawny", "Umber", "Velvet", "Violet", "White", "Winter", "Woven",
          "Copper", "Dawn", "Ember", "Glass", "Hidden", "Northern", "Salt", "Twilight"]
CODE_B = ["Falcon", "Harbour", "Lantern", "Orchid", "Meridian", "Comet", "Glacier", "Heron", "Tide",
          "Cypress", "Raven", "Beacon", "Canyon", "Dune", "Fjord", "Grove", "Juniper", "Kestrel",
          "Lagoon", "Marble", "Nomad", "Oasis", "Pine", "Quartz", "Reef", "Summit", "Thicket", "Vale",
          "Willow", "Anchor", "Bastion", "Citadel", "Delta", "Estuary", "Forge", "Gable", "Horizon",
          "Isle", "Jetty", "Kiln", "Ledge", "Mesa", "Narrows", "Orbit", "Plume", "Quay", "Ridge", "Spire"]

PLATFORMS = [  # slug-less: (en label, operator en label)
    ("iMessage", "Apple"), ("iOS", "Apple"), ("Android", "Google"),
    ("Telegram", "Telegram Messenger"), ("Signal", "Signal Technology Foundation"),
]

ROLES = ["journalist", "investigativeJournalist", "activist", "lawyer", "politician",
         "humanRightsDefender", "researcher"]
ROLE_WEIGHTS = [30, 12, 25, 10, 10, 8, 5]
GROUPS = {  # target-group concept: (en, nl, it) plural
    "journalist": ("journalists", "journalisten", "giornalisti"),
    "activist": ("activists", "activisten", "attivisti"),
    "lawyer": ("lawyers", "advocaten", "avvocati"),
    "politician": ("politicians", "politici", "politici"),
    "humanRightsDefender": ("human-rights defenders", "mensenrechtenverdedigers", "difensori dei diritti umani"),
    "researcher": ("researchers", "onderzoekers", "ricercatori"),
    "civilSocietyOrganization": ("civil-society organisations", "middenveldorganisaties",
                                 "organizzazioni della società civile"),
}
STATUSES = ["confirmed", "attributed", "reported", "suspected", "alleged", "denied", "unknown"]
INCIDENT_STATUS_W = [15, 30, 35, 10, 10, 0, 0]
CLAIM_STATUS_W = [25, 5, 45, 8, 15, 1, 1]
OUTCOMES = ["targeted", "attempted", "infected"]
OUTCOME_W = [60, 25, 15]
REPORT_LANG_W = {"nl": 45, "it": 35, "en": 20}


# ------------------------------------------------------------ the entities ---

class Ent:
    """An entity or claim node: its description (types, labels, plain edges) and
    the entities that description points to (described along with it)."""

    __slots__ = ("slug", "cls", "labels", "term", "triples", "deps", "ref", "info")

    def __init__(self, slug: str, cls: str, labels: tuple[str, str, str], types: list[str],
                 props: list[tuple[str, str]], deps: list["Ent"], ref: bool = False):
        self.slug = slug
        self.cls = cls
        self.labels = labels
        self.term = E(slug)
        self.ref = ref
        self.deps = deps
        self.info: dict = {}
        s = self.term
        self.triples = [(s, A, t) for t in types]
        self.triples += [(s, LABEL, L(text, lang)) for text, lang in zip(labels, LANGS)]
        self.triples += [(s, p, o) for p, o in props]


class Registry:
    """Every minted node, by slug; refuses two nodes with one slug."""

    def __init__(self):
        self.by_slug: dict[str, Ent] = {}
        self.counts: dict[str, int] = {}
        self.reserved_names: set[str] = set()

    def add(self, ent: Ent) -> Ent:
        if ent.slug in self.by_slug:
            raise KeyError(ent.slug)
        if slugify(ent.labels[0]) != ent.slug:
            raise AssertionError(f"slug {ent.slug} is not minted from {ent.labels[0]!r}")
        self.by_slug[ent.slug] = ent
        self.counts[ent.cls] = self.counts.get(ent.cls, 0) + 1
        return ent

    def free(self, en_label: str) -> bool:
        return slugify(en_label) not in self.by_slug and name_key(en_label) not in self.reserved_names

    def new(self, cls: str, labels, types, props=(), deps=()) -> Ent:
        return self.add(Ent(slugify(labels[0]), cls, tuple(labels), list(types), list(props), list(deps)))


class Graph:
    """One report graph: triples in insertion order, no duplicates."""

    __slots__ = ("name", "t", "described", "claims")

    def __init__(self, name: str):
        self.name = name
        self.t: dict[tuple[str, str, str], None] = {}
        self.described: set[str] = set()
        self.claims: set[str] = set()

    def add(self, s: str, p: str, o: str) -> None:
        self.t[(s, p, o)] = None

    def use(self, ent: Ent) -> str:
        """Describes ent (and what it points to) unless it is a reference entity."""
        if not ent.ref and ent.slug not in self.described:
            self.described.add(ent.slug)
            for tr in ent.triples:
                self.t[tr] = None
            for dep in ent.deps:
                self.use(dep)
        return ent.term

    def __len__(self) -> int:
        return len(self.t)


def weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights)[0]


class Zipf:
    def __init__(self, items, s: float = 1.0):
        self.items = list(items)
        acc, self.cum = 0.0, []
        for k in range(len(self.items)):
            acc += 1.0 / (k + 1) ** s
            self.cum.append(acc)

    def pick(self, rng: random.Random):
        return rng.choices(self.items, cum_weights=self.cum)[0]


class World:
    """The shared entities (pools) and the minting of new ones."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.reg = Registry()
        reg = self.reg
        # bundled entities: reference ones are in the store; seed ones are restated
        self.countries: dict[str, Ent] = {}
        for slug, (types, labels) in REFERENCE.items():
            ent = Ent(slug, types.split()[0], labels, [S(t) for t in types.split()], [], [], ref=True)
            reg.add(ent)
            if ent.cls == "Country":
                self.countries[slug] = ent
        for slug, (types, labels, props) in SEED.items():
            reg.reserved_names.update(name_key(x) for x in labels)
        for slug, (types, labels) in REFERENCE.items():
            reg.reserved_names.update(name_key(x) for x in labels)
        reg.reserved_names.update({"meta", "data news (knack)"})  # altLabels
        self.seed: dict[str, Ent] = {}
        for slug in SEED:  # dependency order: the table lists a node after what it points to, or not
            self._seed(slug)
        for en, nl, it in EXTRA_COUNTRIES:
            ent = reg.new("Country", (en, nl, it), [S("Country")])
            self.countries[ent.slug] = ent
        self.country_names = {slug: c.labels for slug, c in self.countries.items()}
        # governments (one per country, minted when first needed) and agencies
        self.governments: dict[str, Ent] = {"italy": self.seed["government-of-italy"]}
        self.agencies: dict[str, list[Ent]] = {"italy": [self.seed["italian-national-cybersecurity-agency"]]}
        # platforms besides WhatsApp, with their operators
        self.whatsapp = reg.by_slug["whatsapp"]
        self.platforms = [self.whatsapp]
        operators: dict[str, Ent] = {}
        for en, op in PLATFORMS:
            if op not in operators:
                operators[op] = reg.new("Organization", (op,) * 3, [S("Organization")],
                                        [(S("organizationType"), S("company"))])
            self.platforms.append(reg.new("Platform", (en,) * 3, [S("Platform")],
                                          [(S("operatedBy"), operators[op].term)], [operators[op]]))
        self.platform_zipf = Zipf(self.platforms, 1.2)
        # vendors and their products
        b = list(VENDOR_B)
        rng.shuffle(b)
        self.vendors = [self.seed["paragon-solutions"]]
        for i, a in enumerate(VENDOR_A * 2):
            name = f"{a} {b[i % len(b)]}" if i < len(VENDOR_A) else f"{a} {b[(i * 3 + 1) % len(b)]}"
            if not reg.free(name):
                continue
            c = self.countries[rng.choice(VENDOR_COUNTRIES)]
            self.vendors.append(reg.new("Vendor", (name,) * 3, [S("Vendor")], [(S("country"), c.term)], [c]))
        rng.shuffle(self.vendors)
        self.vendor_zipf = Zipf(self.vendors, 0.9)
        names = list(PRODUCT_NAMES)
        rng.shuffle(names)
        self.products: dict[str, list[Ent]] = {}
        for v in self.vendors:
            if v.slug == "paragon-solutions":
                self.products[v.slug] = [self.seed["paragon-solutions-spyware-unnamed-in-the-source"]]
                continue
            prods = []
            for _ in range(rng.choice((1, 1, 2))):
                if names:
                    n = names.pop()
                    prods.append(reg.new("Product", (n,) * 3, [S("Product")],
                                         [(S("developedBy"), v.term)], [v]))
            vn = v.labels[0]
            prods.append(reg.new("Product", (f"{vn} spyware (unnamed in the source)",
                                             f"Spyware van {vn} (naamloos in de bron)",
                                             f"Spyware di {vn} (senza nome nella fonte)"),
                                 [S("Product")], [(S("developedBy"), v.term)], [v]))
            self.products[v.slug] = prods
        # news outlets (publishers, cited sources) and forensic labs (detectors)
        self.outlets = []
        for city, country in OUTLET_CITIES:
            for paper in rng.sample(OUTLET_PAPERS, 3):
                name = f"{city} {paper}"
                c = self.countries[country]
                self.outlets.append(reg.new(
                    "Organization", (name,) * 3, [S("Organization"), NEWS_MEDIA_ORG],
                    [(S("organizationType"), S("newsOrganization")), (S("country"), c.term)], [c]))
        rng.shuffle(self.outlets)
        self.outlet_zipf = Zipf(self.outlets, 0.8)
        self.cited_outlets = [self.seed["reuters"], self.seed["the-guardian"]] + self.outlets[:20]
        self.labs = []
        for name in LAB_NAMES:
            for kind in LAB_KINDS:
                if rng.random() < 0.5:
                    c = self.country(rng)
                    self.labs.append(reg.new("Organization", (f"{name} {kind}",) * 3, [S("Organization")],
                                             [(S("organizationType"), S("civilSocietyOrganization")),
                                              (S("country"), c.term)], [c]))
        # civil-society organisations: targets and affiliations
        self.ngos = []
        combos = [(a, b, c) for a in NGO_A for b in NGO_B for c in NGO_C]
        rng.shuffle(combos)
        for a, b, c in combos[:600]:
            name = f"{a} {b} {c}"
            kind = weighted(rng, ["civilSocietyOrganization", "humanitarianOrganization", "newsOrganization"],
                            [70, 20, 10])
            ctry = self.country(rng)
            self.ngos.append(reg.new("Organization", (name,) * 3, [S("Organization")],
                                     [(S("organizationType"), S(kind)), (S("country"), ctry.term)], [ctry]))
        self.ngo_zipf = Zipf(self.ngos, 0.7)
        # codenames of incidents
        self.codenames = [f"{a} {b}" for a in CODE_A for b in CODE_B if a != b]
        rng.shuffle(self.codenames)
        self.codename_round = 0
        # persons: a recurring pool, the rest minted on demand
        self.recurring: list[Ent] = []
        self.customer_countries = rng.sample(sorted(self.countries), 18)

    def group_of(self, person_slug: str) -> str:
        role = self.reg.by_slug[person_slug].info["role"]
        return "journalist" if role == "investigativeJournalist" else role

    # -- bundled --------------------------------------------------------------
    def _seed(self, slug: str) -> Ent:
        if slug in self.seed:
            return self.seed[slug]
        types, labels, props = SEED[slug]
        triples, deps = [], []
        for p, o in props:
            if o.startswith("sa:"):
                triples.append((S(p), S(o[3:])))
            else:
                dep = self.reg.by_slug.get(o) or self._seed(o)
                deps.append(dep)
                triples.append((S(p), dep.term))
        tys = [NEWS_MEDIA_ORG if t == "NewsMediaOrganization" else S(t) for t in types.split()]
        ent = self.reg.add(Ent(slug, types.split()[0], labels, tys, triples, deps))
        self.seed[slug] = ent
        return ent

    # -- pools --------------------------------------------------------------------
    def country(self, rng: random.Random) -> Ent:
        ref = ["italy", "belgium", "netherlands", "israel", "united-kingdom"]
        if rng.random() < 0.55:
            return self.countries[weighted(rng, ref, [30, 25, 25, 5, 15])]
        return self.countries[slugify(rng.choice(EXTRA_COUNTRIES)[0])]

    def government(self, country: str) -> Ent:
        if country not in self.governments:
            en, nl, it = self.countries[country].labels
            the = "the " if en in WITH_ARTICLE else ""
            c = self.countries[country]
            self.governments[country] = self.reg.new(
                "Government", (f"Government of {the}{en}", f"Overheid van {nl}", f"Governo di {it}"),
                [S("Government")], [(S("country"), c.term)], [c])
        return self.governments[country]

    def agency(self, rng: random.Random, country: str) -> Ent:
        have = self.agencies.setdefault(country, [])
        if len(have) < 3 and (not have or rng.random() < 0.3):
            en, nl, it = self.countries[country].labels
            the = "the " if en in WITH_ARTICLE else ""
            templates = [("National Intelligence Service of {}", "Nationale inlichtingendienst van {}",
                          "Servizio di intelligence nazionale di {}"),
                         ("National Police of {}", "Nationale politie van {}", "Polizia nazionale di {}"),
                         ("Military Intelligence Directorate of {}", "Militaire inlichtingendienst van {}",
                          "Direzione dell'intelligence militare di {}")]
            for t_en, t_nl, t_it in templates:
                label = t_en.format(the + en)
                if self.reg.free(label):
                    gov = self.government(country)
                    c = self.countries[country]
                    have.append(self.reg.new("Agency", (label, t_nl.format(nl), t_it.format(it)), [S("Agency")],
                                             [(S("country"), c.term), (S("agencyOf"), gov.term)], [c, gov]))
                    break
        return rng.choice(have)

    def codename(self, rng: random.Random) -> str:
        if not self.codenames:
            self.codename_round += 1
            self.codenames = [f"{a} {b} {'I' * (self.codename_round + 1)}"
                              for a in CODE_A for b in CODE_B if a != b]
            rng.shuffle(self.codenames)
        return self.codenames.pop()

    def person(self, rng: random.Random, recurring_share: float = 0.25) -> Ent:
        if self.recurring and rng.random() < recurring_share:
            return self.recurring[int(len(self.recurring) * rng.random() ** 2)]
        for _ in range(1000):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name = f"{first} {last}" if rng.random() < 0.35 else f"{first} {rng.choice(INITIALS)}. {last}"
            if self.reg.free(name):
                break
        else:
            raise RuntimeError("ran out of person names")
        role = weighted(rng, ROLES, ROLE_WEIGHTS)
        c = self.country(rng)
        props, deps = [(S("role"), S(role)), (S("country"), c.term)], [c]
        r = rng.random()
        if r < 0.05:
            org = self.ngo_zipf.pick(rng)
            props += [(S("founded"), org.term), (S("affiliatedWith"), org.term)]
            deps.append(org)
        elif r < 0.45:
            org = self.ngo_zipf.pick(rng) if role not in ("journalist", "investigativeJournalist") \
                else self.outlet_zipf.pick(rng)
            props.append((S("affiliatedWith"), org.term))
            deps.append(org)
        ent = self.reg.new("Person", (name,) * 3, [S("Person")], props, deps)
        ent.info["role"] = role
        if len(self.recurring) < 3000 and rng.random() < 0.1:
            self.recurring.append(ent)
        return ent


# ------------------------------------------------------------ incidents ---

class Incident:
    """The facts of one incident, shared by every report that covers it."""

    def __init__(self, world: World, rng: random.Random):
        self.code = world.codename(rng)
        self.vendor = world.vendor_zipf.pick(rng)
        self.product = rng.choice(world.products[self.vendor.slug])
        self.platform = world.platform_zipf.pick(rng)
        self.year = rng.randint(2018, 2025)
        self.month = rng.randint(1, 12) if self.year < 2025 else rng.randint(1, 6)
        self.day = rng.randint(1, 28)
        self.vuln = None
        if rng.random() < 0.3:
            cve = f"CVE-{self.year}-{rng.randint(90000, 99999)}"
            pl = self.platform
            while not world.reg.free(f"{cve} in {pl.labels[0]}"):
                cve = f"CVE-{self.year}-{rng.randint(90000, 99999)}"
            self.vuln = world.reg.new(
                "Vulnerability", (f"{cve} in {pl.labels[0]}", f"{cve} in {pl.labels[1]}", f"{cve} in {pl.labels[2]}"),
                [S("Vulnerability")], [(S("cveId"), STR(cve)), (S("affects"), pl.term)], [pl])
        n_c = weighted(rng, [1, 2, 3, 4], [40, 30, 20, 10])
        self.countries = []
        while len(self.countries) < n_c:
            c = world.country(rng)
            if c not in self.countries:
                self.countries.append(c)
        self.groups = rng.sample(list(GROUPS), weighted(rng, [1, 2], [60, 40]))
        self.count = rng.choice([5, 7, 12, 20, 35, 50, 90, 150, 300, 1400])
        self.approximate = rng.random() < 0.6
        self.detector = weighted(rng, [world.whatsapp, rng.choice(world.labs) if world.labs else world.whatsapp,
                                       self.platform if self.platform.slug == "whatsapp" else
                                       self.platform.deps[0]], [35, 45, 20])
        self.customer_country = rng.choice(world.customer_countries)
        kind = weighted(rng, ["government", "agency", "unknown"], [30, 30, 40])
        if kind == "government":
            self.operator = world.government(self.customer_country)
        elif kind == "agency":
            self.operator = world.agency(rng, self.customer_country)
        else:
            self.operator = None
        self.date = self._date(rng)
        en_c, nl_c, it_c = self.countries[0].labels
        pl = self.platform.labels[0]
        v = self.vendor.labels[0]
        self.labels = (f"Operation {self.code}: {v} spyware attacks on {pl} users ({self.year})",
                       f"Operatie {self.code}: aanvallen met {v}-spyware op {pl}-gebruikers ({self.year})",
                       f"Operazione {self.code}: attacchi con lo spyware di {v} contro utenti di {pl} ({self.year})")
        self.slug = slugify(self.labels[0])
        world.reg.add(Ent(self.slug, "Incident", self.labels, [], [], []))  # reserves the slug
        self.first_graph = True

    def _date(self, rng: random.Random) -> str:
        r = rng.random()
        if r < 0.2:
            return f"{self.year}"
        if r < 0.7:
            return f"{self.year}-{self.month:02d}"
        return f"{self.year}-{self.month:02d}-{self.day:02d}"

    @property
    def term(self) -> str:
        return E(self.slug)


def claim(g: Graph, world: World, cls: str, labels, types, props) -> str:
    """A claim node in g; minted once per label (another report asserting the same
    claim asserts the same node, with its own status, in its own graph). A report
    asserts a claim once: a second call for the same node in g adds nothing."""
    slug = slugify(labels[0])
    if slug not in world.reg.by_slug:
        world.reg.add(Ent(slug, cls, tuple(labels), [], [], []))
    elif world.reg.by_slug[slug].labels != tuple(labels):
        raise AssertionError(f"two claims would share the slug {slug}")
    s = E(slug)
    if slug in g.claims:
        return s
    g.claims.add(slug)
    for t in types:
        g.add(s, A, S(t))
    for text, lang in zip(labels, LANGS):
        g.add(s, LABEL, L(text, lang))
    for p, o in props:
        g.add(s, p, o)
    return s


def status(rng: random.Random, weights=CLAIM_STATUS_W) -> str:
    return S(weighted(rng, STATUSES, weights))


class DumpWriter:
    """Builds the report graphs of dump.nq, each to an exact triple budget."""

    def __init__(self, world: World, rng: random.Random):
        self.world = world
        self.rng = rng
        self.incidents: list[Incident] = []
        self.report_slugs: set[str] = set()
        self.press_releases = 0
        self.follow_ups = 0

    # -- pieces of a report -----------------------------------------------------
    def incident_core(self, g: Graph, inc: Incident, cited: list[Ent]) -> None:
        w, rng = self.world, self.rng
        s = inc.term
        g.add(s, A, S("Incident"))
        for text, lang in zip(inc.labels, LANGS):
            g.add(s, LABEL, L(text, lang))
        g.add(s, S("status"), status(rng, INCIDENT_STATUS_W))
        g.add(s, S("vendor"), g.use(inc.vendor))
        g.add(s, S("usedProduct"), g.use(inc.product))
        g.add(s, S("exploited"), g.use(inc.platform))
        if inc.vuln is not None:
            g.add(s, S("exploited"), g.use(inc.vuln))
        g.add(s, S("targetCount"), INT(inc.count))
        g.add(s, S("targetCountIsApproximate"), BOOL(inc.approximate))
        for grp in inc.groups:
            g.add(s, S("targetGroup"), S(grp))
        for c in inc.countries:
            g.add(s, S("targetCountry"), g.use(c))
        g.add(s, S("detectedBy"), g.use(inc.detector))
        g.add(s, S("date"), D(inc.date))
        if inc.operator is not None:
            g.add(s, S("attributedTo"), g.use(inc.operator))
            g.add(s, S("attributionStatus"), status(rng, [10, 35, 20, 25, 10, 0, 0]))
        else:
            g.add(s, S("attributionStatus"), S("unknown"))
        g.add(s, S("accordingTo"), g.use(inc.detector))
        src = rng.choice(cited)
        g.add(s, S("citedSource"), g.use(src))
        # detection
        det = inc.detector
        claim(g, w, "Detection",
              (f"Detection of Operation {inc.code} by {det.labels[0]}",
               f"Detectie van operatie {inc.code} door {det.labels[1]}",
               f"Rilevamento dell'operazione {inc.code} da parte di {det.labels[2]}"),
              ["Detection"],
              [(S("incident"), s), (S("detectedBy"), det.term), (S("date"), D(inc.date)),
               (S("status"), S("confirmed")), (S("accordingTo"), det.term), (S("citedSource"), src.term)])
        # attribution
        op = inc.operator
        if op is None:
            claim(g, w, "Attribution",
                  (f"Attribution of Operation {inc.code} to a country",
                   f"Toeschrijving van operatie {inc.code} aan een land",
                   f"Attribuzione dell'operazione {inc.code} a un paese"),
                  ["Attribution"], [(S("incident"), s), (S("status"), S("unknown")), (S("accordingTo"), det.term)])
        else:
            claim(g, w, "Attribution",
                  (f"Attribution of Operation {inc.code} to {op.labels[0]}",
                   f"Toeschrijving van operatie {inc.code} aan {op.labels[1]}",
                   f"Attribuzione dell'operazione {inc.code} a {op.labels[2]}"),
                  ["Attribution"],
                  [(S("incident"), s), (S("attributedTo"), op.term), (S("vendor"), inc.vendor.term),
                   (S("status"), status(rng, [10, 35, 20, 25, 10, 0, 0])), (S("accordingTo"), det.term)])
        # targets per country
        for c in inc.countries:
            en, nl, it = c.labels
            pl = inc.platform.labels[0]
            props = [(S("incident"), s), (S("targetCountry"), c.term), (S("outcome"), S("targeted")),
                     (S("status"), status(rng))]
            if rng.random() < 0.5:
                props.append((S("targetCount"), INT(rng.randint(1, max(1, inc.count // 2)))))
            if rng.random() < 0.5:
                props += [(S("accordingTo"), det.term), (S("citedSource"), src.term)]
            if rng.random() < 0.2:
                props.append((S("targetIdentityStatus"), S("unknown")))
            claim(g, w, "Targeting",
                  (f"{pl} users {in_en(en)} targeted in Operation {inc.code}",
                   f"{pl}-gebruikers in {nl} geviseerd in operatie {inc.code}",
                   f"Utenti di {pl} in {it} presi di mira nell'operazione {inc.code}"),
                  ["Targeting"], props)

    def customers(self, g: Graph, inc: Incident) -> None:
        w, rng = self.world, self.rng
        v = inc.vendor
        if rng.random() < 0.5:
            cust = w.government(inc.customer_country) if rng.random() < 0.5 \
                else w.agency(rng, inc.customer_country)
            g.use(cust)
            props = [(S("vendor"), v.term), (S("customer"), cust.term), (S("status"), status(rng))]
            if rng.random() < 0.5:
                props.append((S("startDate"), D(str(inc.year - rng.randint(0, 3)))))
            claim(g, w, "CustomerRelationship",
                  (f"{cust.labels[0]} as customer of {v.labels[0]}",
                   f"{cust.labels[1]} als klant van {v.labels[1]}",
                   f"{cust.labels[2]} come cliente di {v.labels[2]}"),
                  ["CustomerRelationship"], props)
            g.add(cust.term, S("customerOf"), v.term)
        else:
            claim(g, w, "CustomerRelationship",
                  (f"Unnamed government customers of {v.labels[0]}",
                   f"Niet genoemde overheden als klant van {v.labels[1]}",
                   f"Governi clienti di {v.labels[2]} non nominati"),
                  ["CustomerRelationship"], [(S("vendor"), v.term), (S("status"), status(rng))])

    def responses(self, g: Graph, inc: Incident, cited: list[Ent]) -> None:
        w, rng = self.world, self.rng
        s, c = inc.term, inc.code
        v = inc.vendor
        det = inc.detector
        gov = w.government(inc.countries[0].slug)
        options = ["letter", "mitigation", "notification", "statement", "denial", "lawsuit"]
        for kind in rng.sample(options, rng.randint(2, 4)):
            props = [(S("respondsTo"), s), (S("status"), status(rng))]
            if kind == "letter":
                cd = rng.random() < 0.3
                types = ["Response", "Letter"] + (["CeaseAndDesistLetter"] if cd else [])
                what = ("Cease-and-desist letter", "Ingebrekestelling", "Diffida") if cd else ("Letter", "Brief", "Lettera")
                labels = (f"{what[0]} from {det.labels[0]} to {v.labels[0]} about Operation {c}",
                          f"{what[1]} van {det.labels[1]} aan {v.labels[1]} over operatie {c}",
                          f"{what[2]} di {det.labels[2]} a {v.labels[2]} sull'operazione {c}")
                props += [(S("respondent"), g.use(det)), (S("addressee"), g.use(v))]
                if rng.random() < 0.5:
                    props += [(S("accordingTo"), det.term), (S("sourceIsAnonymous"), BOOL(True)),
                              (S("citedSource"), g.use(rng.choice(cited)))]
            elif kind == "mitigation":
                types = ["Response", "Mitigation"]
                labels = (f"Neutralisation of Operation {c}", f"Onschadelijk maken van operatie {c}",
                          f"Neutralizzazione dell'operazione {c}")
                props.append((S("respondent"), g.use(det)))
            elif kind == "notification":
                types = ["Response", "Notification"]
                labels = (f"{det.labels[0]} notification of the targets of Operation {c}",
                          f"Verwittiging van de doelwitten van operatie {c} door {det.labels[1]}",
                          f"Notifica di {det.labels[2]} ai bersagli dell'operazione {c}")
                props.append((S("respondent"), g.use(det)))
            elif kind == "statement":
                types = ["Response", "Statement"]
                labels = (f"{gov.labels[0]} statement on Operation {c}",
                          f"Verklaring van {gov.labels[1]} over operatie {c}",
                          f"Dichiarazione di {gov.labels[2]} sull'operazione {c}")
                props += [(S("respondent"), g.use(gov)), (S("accordingTo"), gov.term)]
                if rng.random() < 0.4:
                    pr = self.press_release(g, gov, inc)
                    props.append((S("citedSource"), pr))
            elif kind == "denial":
                types = ["Response", "Statement"]
                labels = (f"{v.labels[0]} denial of involvement in Operation {c}",
                          f"Ontkenning door {v.labels[1]} van betrokkenheid bij operatie {c}",
                          f"Smentita di {v.labels[2]} del coinvolgimento nell'operazione {c}")
                props = [(S("respondsTo"), s), (S("status"), S("confirmed")),
                         (S("respondent"), g.use(v)), (S("accordingTo"), v.term)]
            else:
                types = ["Response"]
                ngo = w.ngo_zipf.pick(rng)
                labels = (f"Lawsuit by {ngo.labels[0]} against {v.labels[0]} over Operation {c}",
                          f"Rechtszaak van {ngo.labels[1]} tegen {v.labels[1]} over operatie {c}",
                          f"Causa di {ngo.labels[2]} contro {v.labels[2]} per l'operazione {c}")
                props += [(S("respondent"), g.use(ngo)), (S("addressee"), g.use(v))]
            if rng.random() < 0.4:
                y = inc.year + rng.randint(0, 1)
                props.append((S("date"), D(f"{min(y, 2025)}-{rng.randint(1, 12):02d}")))
            claim(g, w, "Response", labels, types, props)

    def press_release(self, g: Graph, gov: Ent, inc: Incident) -> str:
        labels = (f"{gov.labels[0]} press release on Operation {inc.code}",
                  f"Persbericht van {gov.labels[1]} over operatie {inc.code}",
                  f"Comunicato stampa di {gov.labels[2]} sull'operazione {inc.code}")
        slug = slugify(labels[0])
        ent = self.world.reg.by_slug.get(slug)
        if ent is None:
            ent = self.world.reg.new("Report", labels, [S("Report"), S("PressRelease")],
                                     [(PUBLISHER, gov.term), (SUBJECT, inc.term)], [gov])
            self.press_releases += 1
        g.use(ent)
        g.add(E(slug), SUBJECT, inc.term)
        return ent.term

    def target(self, g: Graph, inc: Incident, taken: set[str]) -> None:
        w, rng = self.world, self.rng
        if rng.random() < 0.1:
            t = w.ngo_zipf.pick(rng)
        else:
            t = w.person(rng)
        if t.slug in taken:
            return
        taken.add(t.slug)
        g.use(t)
        g.add(inc.term, S("target"), t.term)
        name = t.labels[0]
        props = [(S("incident"), inc.term), (S("target"), t.term),
                 (S("outcome"), S(weighted(rng, OUTCOMES, OUTCOME_W))), (S("status"), status(rng))]
        if rng.random() < 0.3:
            props.append((S("date"), D(inc.date)))
        if rng.random() < 0.25:
            props.append((S("accordingTo"), g.use(rng.choice([inc.detector, t]))))
        claim(g, w, "Targeting",
              (f"{name} targeted in Operation {inc.code}", f"{name} geviseerd in operatie {inc.code}",
               f"{name} preso di mira nell'operazione {inc.code}"),
              ["Targeting"], props)

    # -- one report -------------------------------------------------------------
    def report(self, budget: int) -> Graph:
        w, rng = self.world, self.rng
        lang = weighted(rng, list(REPORT_LANG_W), list(REPORT_LANG_W.values()))
        main = Incident(w, rng)
        incs = [main]
        if rng.random() < 0.15:
            incs.append(Incident(w, rng))
        if self.incidents and rng.random() < 0.2:
            old = rng.choice(self.incidents[-300:])
            incs.append(old)
        publisher = w.outlet_zipf.pick(rng)
        en_c, nl_c, it_c = main.countries[0].labels
        grp = GROUPS[main.groups[0]]
        v, pl = main.vendor.labels[0], main.platform.labels[0]
        if rng.random() < 0.5:
            labels = (f"{v} spyware used against {grp[0]} {in_en(en_c)}: Operation {main.code}",
                      f"Spyware van {v} ingezet tegen {grp[1]} in {nl_c}: operatie {main.code}",
                      f"Spyware di {v} usato contro {grp[2]} in {it_c}: operazione {main.code}")
        else:
            labels = (f"Operation {main.code}: {pl} users {in_en(en_c)} hacked with {v} software",
                      f"Operatie {main.code}: {pl}-gebruikers in {nl_c} gehackt met software van {v}",
                      f"Operazione {main.code}: utenti di {pl} in {it_c} violati con il software di {v}")
        title = labels[LANGS.index(lang)]
        slug = slugify(title)
        if slug in self.report_slugs:
            raise AssertionError(f"report slug {slug} twice")
        self.report_slugs.add(slug)
        g = Graph(REPORT + slug)
        r = I(REPORT + slug)
        g.add(r, A, S("Report"))
        g.add(r, A, NEWS_ARTICLE)
        for text, lng in zip(labels, LANGS):
            g.add(r, LABEL, L(text, lng))
        g.add(r, TITLE, L(title, lang))
        g.add(r, PUBLISHER, g.use(publisher))
        y, m = main.year, main.month + rng.randint(1, 8)
        y, m = (y + (m - 1) // 12, (m - 1) % 12 + 1)
        y, m = (2025, min(m, 6)) if y >= 2025 else (y, m)
        issued = f"{y}-{m:02d}" if rng.random() < 0.5 else f"{y}-{m:02d}-{rng.randint(1, 28):02d}"
        g.add(r, ISSUED, D(issued))
        g.add(r, LANGUAGE, STR(lang))
        domain = slugify(publisher.labels[0]).replace("-", "") + ".example"
        g.add(r, URL, I(f"https://www.{domain}/{y}/{m:02d}/{slug}/"))
        cited = rng.sample(w.cited_outlets, 2)
        for c in cited:
            g.add(r, REFERENCES, g.use(c))
            g.add(r, INFLUENCED, c.term)
        for inc in incs:
            g.add(r, SUBJECT, inc.term)
            self.incident_core(g, inc, cited)
            if inc is main or rng.random() < 0.5:
                self.customers(g, inc)
            self.responses(g, inc, cited)
        for pr in [o for (_, p, o) in g.t if p == S("citedSource") and o.startswith(ID_TERM)]:
            ent = w.reg.by_slug.get(pr[len(ID_TERM):-1])
            if ent is not None and ent.cls == "Report":
                g.add(r, REFERENCES, pr)
                g.add(r, DERIVED, pr)
        if rng.random() < 0.2:
            g.add(r, SEE_ALSO, I(f"https://www.{domain}/fr/{y}/{m:02d}/{slug}/"))
        if len(g) > budget - 20:
            raise SystemExit(f"generate.py: a report needs about {len(g) + 100} triples at least; "
                             f"use fewer --reports or more --triples (budget {budget} per report)")
        # named targets until the budget is nearly used, then exact padding
        taken: list[set[str]] = [set() for _ in incs]
        k = 0
        while True:
            n = len(g.t)
            described, claimed = set(g.described), set(g.claims)
            i = k % len(incs)
            self.target(g, incs[i], taken[i])
            k += 1
            if len(g) > budget:  # undo the last target
                for tr in list(g.t)[n:]:
                    del g.t[tr]
                g.described, g.claims = described, claimed
                break
        self.pad(g, budget, incs)
        for inc in incs:
            if inc.first_graph:
                inc.first_graph = False
                self.incidents.append(inc)
            else:
                self.follow_ups += 1
        return g

    def pad(self, g: Graph, budget: int, incs: list[Incident]) -> None:
        """Fills the last few triples with rdfs:comment on the targeting nodes."""
        nodes = [s for (s, p, o) in g.t if p == A and o == S("Targeting")]
        for s in nodes:
            slug = s[len(ID_TERM):-1]
            ent = self.world.reg.by_slug[slug]
            texts = (f"Named in this report: {ent.labels[0]}.", f"Genoemd in dit rapport: {ent.labels[1]}.",
                     f"Citato in questo rapporto: {ent.labels[2]}.")
            for text, lang in zip(texts, LANGS):
                if len(g) >= budget:
                    return
                g.add(s, COMMENT, L(text, lang))
        if len(g) < budget:
            raise AssertionError("not enough nodes to pad the report")


# ------------------------------------------------------------- documents ---

# Bundled entities the documents name, and the names they may use for them.
NAMED = {
    "country": ["italy", "belgium", "netherlands", "israel", "united-kingdom"],
    "publisher": ["data-news", "knack", "the-guardian", "reuters"],
    "vendor": ["paragon-solutions"],
    "target": ["luca-casarini", "francesco-cancellato", "husam-el-gomati", "mediterranea-saving-humans"],
    "platform": ["whatsapp"],
    "speaker": ["whatsapp", "government-of-italy", "meta-platforms", "italian-national-cybersecurity-agency"],
    "cited": ["the-guardian", "reuters", "italian-government-press-release-on-the-paragon-spyware-attacks"],
}
DOC_TYPES = {  # document term -> RDF type
    "Country": S("Country"), "Person": S("Person"), "Organization": S("Organization"), "Vendor": S("Vendor"),
    "Product": S("Product"), "Incident": S("Incident"), "Targeting": S("Targeting"),
    "Detection": S("Detection"), "Response": S("Response"), "Notification": S("Notification"),
    "Statement": S("Statement"), "Letter": S("Letter"), "Mitigation": S("Mitigation"),
    "NewsMediaOrganization": NEWS_MEDIA_ORG, "Report": S("Report"), "news-article": NEWS_ARTICLE,
}
# document key -> (predicate, how its value is read)
DOC_KEYS = {
    "label": (LABEL, "lang"), "title": (TITLE, "lang"), "publisher": (PUBLISHER, "ref"),
    "issued": (ISSUED, "date"), "language": (LANGUAGE, "str"), "url": (URL, "iri"),
    "entities": (MENTIONS, "node"), "claims": (MENTIONS, "node"),
    "role": (S("role"), "vocab"), "organizationType": (S("organizationType"), "vocab"),
    "country": (S("country"), "ref"), "developedBy": (S("developedBy"), "ref"),
    "affiliatedWith": (S("affiliatedWith"), "ref"), "status": (S("status"), "vocab"),
    "vendor": (S("vendor"), "ref"), "usedProduct": (S("usedProduct"), "ref"),
    "exploited": (S("exploited"), "ref"), "target": (S("target"), "ref"),
    "targetCountry": (S("targetCountry"), "ref"), "targetGroup": (S("targetGroup"), "vocab"),
    "targetCount": (S("targetCount"), "int"), "targetCountIsApproximate": (S("targetCountIsApproximate"), "bool"),
    "detectedBy": (S("detectedBy"), "ref"), "accordingTo": (S("accordingTo"), "ref"),
    "citedSource": (S("citedSource"), "ref"), "sourceIsAnonymous": (S("sourceIsAnonymous"), "bool"),
    "date": (S("date"), "date"), "incident": (S("incident"), "ref"), "outcome": (S("outcome"), "vocab"),
    "respondsTo": (S("respondsTo"), "ref"), "respondent": (S("respondent"), "ref"), "subject": (SUBJECT, "ref"),
    "addressee": (S("addressee"), "ref"),
}


def name_variant(rng: random.Random, labels: tuple[str, str, str]) -> str:
    text = rng.choice(labels)
    how = rng.randrange(5)
    if how == 1:
        text = text.lower()
    elif how == 2:
        text = text.upper()
    elif how == 3:
        text = strip_diacritics(text)
    elif how == 4:
        text = strip_diacritics(text).lower()
    return text


def doc_triples(doc: dict, resolve, minted) -> list[tuple[str, str, str]]:
    """The RDF a report document stands for (what spyatlas should load), with the
    references resolved by resolve(value) -> slug and nodes without id given
    minted(node) -> slug."""
    out: list[tuple[str, str, str]] = []

    def node(obj: dict, top: bool) -> str:
        s = I(REPORT + obj["id"].split(":", 1)[1]) if top else E(minted(obj))
        kinds = obj.get("kind") if top else obj.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if top:
            kinds = kinds + ["Report"]
        for k in kinds:
            out.append((s, A, DOC_TYPES[k]))
        for key, value in obj.items():
            if key in ("@context", "id", "kind", "type"):
                continue
            p, how = DOC_KEYS[key]
            values = value if isinstance(value, list) else [value]
            for v in values:
                if how == "lang":
                    out.extend((s, p, L(text, lang)) for lang, text in v.items())
                    continue
                if how == "ref":
                    o = E(resolve(v))
                elif how == "vocab":
                    o = S(v)
                elif how == "iri":
                    o = I(v)
                elif how == "str":
                    o = STR(v)
                elif how == "int":
                    o = INT(v)
                elif how == "bool":
                    o = BOOL(v)
                elif how == "date":
                    o = D(v)
                elif how == "node":
                    o = node(v, False)
                else:
                    raise AssertionError(how)
                out.append((s, p, o))
        return s

    node(doc, True)
    return list(dict.fromkeys(out))


class DocWriter:
    def __init__(self, world: World, rng: random.Random):
        self.world = world
        self.rng = rng
        self.slugs: set[str] = set()
        self.name_refs = 0
        self.local_name_refs = 0
        self.slug_refs = 0
        self.used_names: dict[str, str] = {}  # name used -> slug it must resolve to

    def ref(self, slug: str, by_name: float = 0.5) -> str:
        """A reference to a bundled entity: its slug, or one of its names."""
        rng = self.rng
        if rng.random() < by_name:
            ent = self.world.reg.by_slug[slug]
            for _ in range(20):
                name = name_variant(rng, ent.labels)
                if name != slug:
                    break
            else:
                return slug
            self.name_refs += 1
            self.used_names[name] = slug
            return name
        self.slug_refs += 1
        return slug

    @staticmethod
    def labels(labels) -> dict[str, str]:
        return dict(zip(LANGS, labels))

    def document(self) -> tuple[dict, list[tuple[str, str, str]]]:
        w, rng = self.world, self.rng
        local: dict[str, dict] = {}      # slug -> the entity or claim object
        local_names: dict[str, str] = {}  # name used for an entity without id -> its minted slug
        entities: list[dict] = []
        claims: list[dict] = []

        def define(ent: Ent, with_id: bool = True, **extra) -> str:
            """Describes ent under entities (once); returns how to refer to it."""
            if ent.slug not in local:
                obj = {"id": ent.slug} if with_id else {}
                obj["type"] = extra.pop("type", ent.cls)
                obj["label"] = self.labels(ent.labels)
                obj.update(extra)
                local[ent.slug] = obj
                entities.append(obj)
            if "id" in local[ent.slug]:
                return ent.slug
            name = name_variant(rng, ent.labels)
            local_names[name] = ent.slug
            self.local_name_refs += 1
            return name

        code = w.codename(rng)
        lang = weighted(rng, list(REPORT_LANG_W), list(REPORT_LANG_W.values()))
        # publisher: a bundled outlet, or one described here
        if rng.random() < 0.7:
            publisher = self.ref(rng.choice(NAMED["publisher"]))
        else:
            o = w.outlet_zipf.pick(rng)
            publisher = define(o, type=["Organization", "NewsMediaOrganization"],
                               organizationType="newsOrganization", country=self.ref(o.deps[0].slug))
        # vendor: the seed's, or one described here (with its country when that is no reference entity)
        product = None
        if rng.random() < 0.45:
            vendor = self.ref("paragon-solutions")
            vendor_labels = w.reg.by_slug["paragon-solutions"].labels
            if rng.random() < 0.3:
                product = self.ref("paragon-solutions-spyware-unnamed-in-the-source", by_name=0.3)
        else:
            v = rng.choice([x for x in w.vendors if x.slug != "paragon-solutions"])
            vc = v.deps[0]
            if not vc.ref:
                define(vc)
            vendor = define(v, country=self.ref(vc.slug) if vc.ref else vc.slug)
            vendor_labels = v.labels
        # persons: new, described here; one in five without id (minted from the label)
        persons = []
        for _ in range(weighted(rng, [1, 2], [70, 30])):
            p = w.person(rng, recurring_share=0.0)
            persons.append((p, define(p, with_id=rng.random() >= 0.2, role=p.info["role"],
                                      country=self.ref(rng.choice(NAMED["country"])))))
        year = rng.randint(2019, 2025)
        month = rng.randint(1, 12) if year < 2025 else rng.randint(1, 5)
        date = rng.choice([f"{year}-{month:02d}", f"{year}-{month:02d}-{rng.randint(1, 28):02d}", f"{year}"])
        countries = rng.sample(NAMED["country"], weighted(rng, [1, 2], [65, 35]))
        v = vendor_labels[0]
        inc_labels = (f"Operation {code}: {v} spyware attacks on WhatsApp users ({year})",
                      f"Operatie {code}: aanvallen met {v}-spyware op WhatsApp-gebruikers ({year})",
                      f"Operazione {code}: attacchi con lo spyware di {v} contro utenti di WhatsApp ({year})")
        inc_slug = slugify(inc_labels[0])
        targets = [ref for _, ref in persons]
        if rng.random() < 0.25:
            targets.append(self.ref(rng.choice(NAMED["target"]), by_name=0.8))
        incident = {"id": inc_slug, "type": "Incident", "label": self.labels(inc_labels),
                    "status": weighted(rng, STATUSES, INCIDENT_STATUS_W), "vendor": vendor}
        if product:
            incident["usedProduct"] = product
        incident["exploited"] = self.ref("whatsapp")
        incident["target"] = targets if len(targets) > 1 else targets[0]
        incident["targetCountry"] = [self.ref(c) for c in countries] if len(countries) > 1 \
            else self.ref(countries[0])
        incident["date"] = date
        if rng.random() < 0.25:
            incident["targetCount"] = rng.choice([3, 7, 12, 40, 90])
            incident["targetCountIsApproximate"] = rng.random() < 0.5
        if rng.random() < 0.25:
            incident["accordingTo"] = self.ref(rng.choice(NAMED["speaker"]))
        claims.append(incident)
        for p, ref in persons:
            name = p.labels[0]
            t_labels = (f"{name} targeted in Operation {code}", f"{name} geviseerd in operatie {code}",
                        f"{name} preso di mira nell'operazione {code}")
            claims.append({"id": slugify(t_labels[0]), "type": "Targeting", "label": self.labels(t_labels),
                           "incident": inc_slug, "target": ref,
                           "outcome": weighted(rng, OUTCOMES, OUTCOME_W),
                           "status": weighted(rng, STATUSES, CLAIM_STATUS_W)})
        r = rng.random()
        if r < 0.25:
            speaker = rng.choice(["whatsapp", "meta-platforms"])
            sp = w.reg.by_slug[speaker].labels
            n_labels = (f"{sp[0]} notification of the targets of Operation {code}",
                        f"Verwittiging van de doelwitten van operatie {code} door {sp[1]}",
                        f"Notifica di {sp[2]} ai bersagli dell'operazione {code}")
            claims.append({"id": slugify(n_labels[0]), "type": ["Response", "Notification"],
                           "label": self.labels(n_labels), "respondsTo": inc_slug,
                           "respondent": self.ref(speaker), "status": "reported"})
        elif r < 0.35:
            # also about the seed incident, named by slug
            s_labels = (f"Italian government statement on Operation {code}",
                        f"Verklaring van de Italiaanse overheid over operatie {code}",
                        f"Dichiarazione del governo italiano sull'operazione {code}")
            claims.append({"id": slugify(s_labels[0]), "type": ["Response", "Statement"],
                           "label": self.labels(s_labels),
                           "respondsTo": [inc_slug, "paragon-spyware-attacks-on-whatsapp-users-2024"],
                           "respondent": self.ref("government-of-italy"), "status": "confirmed",
                           "citedSource": self.ref(rng.choice(NAMED["cited"]), by_name=0.3)})
        elif r < 0.45:
            d_labels = (f"Detection of Operation {code} by WhatsApp", f"Detectie van operatie {code} door WhatsApp",
                        f"Rilevamento dell'operazione {code} da parte di WhatsApp")
            claims.append({"id": slugify(d_labels[0]), "type": "Detection", "label": self.labels(d_labels),
                           "incident": inc_slug, "detectedBy": self.ref("whatsapp"),
                           "date": f"{year}", "status": "confirmed"})
        for c in claims:
            w.reg.add(Ent(c["id"], c["type"] if isinstance(c["type"], str) else c["type"][0],
                          tuple(c["label"].values()), [], [], []))
        # the report
        grp = GROUPS[w.group_of(persons[0][0].slug)]
        c0 = w.countries[countries[0]].labels
        labels = (f"{v} spyware used against {grp[0]} {in_en(c0[0])}: Operation {code}",
                  f"Spyware van {v} ingezet tegen {grp[1]} in {c0[1]}: operatie {code}",
                  f"Spyware di {v} usato contro {grp[2]} in {c0[2]}: operazione {code}")
        title = labels[LANGS.index(lang)]
        slug = slugify(title)
        if slug in self.slugs:
            raise AssertionError(f"document slug {slug} twice")
        self.slugs.add(slug)
        iy, im = (year, month + rng.randint(1, 4))
        iy, im = (iy + 1, im - 12) if im > 12 else (iy, im)
        iy, im = (2025, min(im, 6)) if iy >= 2025 else (iy, im)
        issued = f"{iy}-{im:02d}" if rng.random() < 0.6 else f"{iy}-{im:02d}-{rng.randint(1, 28):02d}"
        site = slugify(publisher).replace("-", "")
        doc = {
            "@context": CONTEXT_URL,
            "id": f"report:{slug}",
            "kind": "news-article",
            "label": self.labels(labels),
            "title": {lang: title},
            "publisher": publisher,
            "issued": issued,
            "language": lang,
            "url": f"https://www.{site}.example/{iy}/{im:02d}/{slug}/",
            "subject": inc_slug,
            "entities": entities,
            "claims": claims,
        }
        names = self.used_names

        def resolve(value: str) -> str:
            if value in local or value in w.reg.by_slug:
                return value
            if value in local_names:
                return local_names[value]
            return names[value]

        def minted(obj: dict) -> str:
            return obj.get("id") or slugify(obj["label"]["en"])

        return doc, doc_triples(doc, resolve, minted)


# ------------------------------------------------------------------ YAML ---

YAML_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", ""}
PLAIN = re.compile(r"^[A-Za-z\u00c0-\u024f][\w\u00c0-\u024f .'()/-]*$")
PLAIN_BLOCK = re.compile(r"^[A-Za-z\u00c0-\u024f][\w\u00c0-\u024f .'()/:@-]*$")


def y_scalar(v, flow: bool) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    text = str(v)
    ok = PLAIN if flow else PLAIN_BLOCK
    if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
        return text  # a date: a string in YAML 1.2 (spyatlas), a date object in PyYAML (1.1)
    if (ok.match(text) and text.lower() not in YAML_RESERVED and not text.endswith(" ")
            and ": " not in text and " #" not in text and not text.endswith(":")
            and not re.fullmatch(r"[0-9.:-]+", text)):
        return text
    return json.dumps(text, ensure_ascii=False)


def dates_as_text(value):
    """PyYAML (YAML 1.1) reads 2024-12-03 as a date; spyatlas (YAML 1.2) as text."""
    import datetime
    if isinstance(value, dict):
        return {k: dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [dates_as_text(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def y_flow_ok(value) -> bool:
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        return False
    return all(not isinstance(x, (dict, list)) for x in items) and \
        len(json.dumps(value, ensure_ascii=False)) < 90


def y_key(k: str) -> str:
    return json.dumps(k) if k.startswith("@") else k


def to_yaml(obj: dict) -> str:
    lines: list[str] = []

    def mapping(d: dict, indent: str, first_prefix: str | None = None) -> None:
        for i, (k, v) in enumerate(d.items()):
            pre = first_prefix if (i == 0 and first_prefix is not None) else indent
            if isinstance(v, (dict, list)) and y_flow_ok(v):
                if isinstance(v, dict):
                    inner = ", ".join(f"{kk}: {y_scalar(vv, True)}" for kk, vv in v.items())
                    lines.append(f"{pre}{y_key(k)}: {{{inner}}}")
                else:
                    lines.append(f"{pre}{y_key(k)}: [{', '.join(y_scalar(x, True) for x in v)}]")
            elif isinstance(v, dict):
                lines.append(f"{pre}{y_key(k)}:")
                mapping(v, indent + "  ")
            elif isinstance(v, list):
                lines.append(f"{pre}{y_key(k)}:")
                for item in v:
                    if isinstance(item, dict):
                        mapping(item, indent + "    ", indent + "  - ")
                    else:
                        lines.append(f"{indent}  - {y_scalar(item, False)}")
            else:
                lines.append(f"{pre}{y_key(k)}: {y_scalar(v, False)}")

    mapping(obj, "")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ main ---

def generate(out_dir: str, n_triples: int, n_reports: int, n_docs: int, seed: int) -> dict:
    t0 = time.time()
    rng = random.Random(seed)
    world = World(rng)
    tmp = out_dir.rstrip("/") + f".tmp{os.getpid()}"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(os.path.join(tmp, "docs"))
    dump = DumpWriter(world, rng)
    quads = 0
    per_report = []
    with open(os.path.join(tmp, "dump.nq"), "w", encoding="utf-8", newline="\n") as f:
        base, extra = divmod(n_triples, n_reports)
        for i in range(n_reports):
            budget = base + (1 if i < extra else 0)
            g = dump.report(budget)
            gt = f"<{g.name}>"
            f.write("".join(f"{s} {p} {o} {gt} .\n" for (s, p, o) in g.t))
            quads += len(g)
            per_report.append(len(g))
    t_dump = time.time() - t0
    docs = DocWriter(world, rng)
    doc_counts = {}
    yaml_mod = None
    try:
        import yaml as yaml_mod  # only to check the YAML writer; optional
    except ImportError:
        pass
    for j in range(n_docs):
        doc, triples = docs.document()
        slug = doc["id"].split(":", 1)[1]
        if j % 2 == 0:
            name = f"{slug}.yaml"
            text = to_yaml(doc)
            if yaml_mod is not None and dates_as_text(yaml_mod.safe_load(text)) != doc:
                raise AssertionError(f"the YAML writer misrepresents {name}")
        else:
            name = f"{slug}.jsonld"
            text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        with open(os.path.join(tmp, "docs", name), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        doc_counts[name] = len(triples)
    meta = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "triples": n_triples,
        "reports": n_reports,
        "dump_quads": quads,
        "report_graph_triples": {"min": min(per_report), "max": max(per_report)},
        "incidents_in_dump": len(dump.incidents),
        "follow_up_reports": dump.follow_ups,
        "press_releases": dump.press_releases,
        "nodes_by_class": dict(sorted(world.reg.counts.items())),
        "docs": n_docs,
        "docs_yaml": sum(1 for n in doc_counts if n.endswith(".yaml")),
        "docs_jsonld": sum(1 for n in doc_counts if n.endswith(".jsonld")),
        "docs_triples": sum(doc_counts.values()),
        "doc_name_references": docs.name_refs,
        "doc_name_references_to_entities_without_id": docs.local_name_refs,
        "doc_slug_references_to_bundled": docs.slug_refs,
        "doc_names_used": dict(sorted(docs.used_names.items())),
        "doc_triples": doc_counts,
    }
    if quads != n_triples:
        raise AssertionError(f"wrote {quads} quads, wanted {n_triples}")
    with open(os.path.join(tmp, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
        f.write("\n")
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.rename(tmp, out_dir)
    meta["seconds"] = {"dump": round(t_dump, 2), "total": round(time.time() - t0, 2)}  # printed, not stored
    return meta


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--triples", type=int, default=1_000_000, help="exact number of quads in dump.nq (default 1000000)")
    ap.add_argument("--reports", type=int, default=1000, help="report graphs in dump.nq (default 1000)")
    ap.add_argument("--docs", type=int, default=1000, help="report documents in docs/ (default 1000)")
    ap.add_argument("--seed", type=int, default=20250211, help="random seed (default 20250211)")
    ap.add_argument("--out", required=True, help="output folder (replaced)")
    a = ap.parse_args()
    if a.reports < 1 or a.triples < 400 * a.reports:
        ap.error("need --reports >= 1 and at least 400 triples per report")
    meta = generate(a.out, a.triples, a.reports, a.docs, a.seed)
    print(f"dump.nq: {meta['dump_quads']} quads in {meta['reports']} report graphs "
          f"({meta['report_graph_triples']['min']}-{meta['report_graph_triples']['max']} each), "
          f"{meta['incidents_in_dump']} incidents; docs/: {meta['docs']} documents "
          f"({meta['docs_yaml']} YAML, {meta['docs_jsonld']} JSON-LD), {meta['docs_triples']} triples, "
          f"{meta['doc_name_references']} references by name; {meta['seconds']['total']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
