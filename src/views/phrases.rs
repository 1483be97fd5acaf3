//! How each relationship reads as a sentence, in the languages pages are written in.
//!
//! Every property that links two things has a [`Phrase`]: one sentence per language for the
//! subject's page (`forward`) and one for the object's page (`inverse`), with `{s}` and `{o}`
//! where the two names go, and the [`Topic`] of the page section it belongs to. A sentence
//! says no more than the ontology's comment on the property: the status each report gives
//! the relationship, its dates and its source are shown beside the sentence, so no sentence
//! confirms or hedges.
//!
//! Names go in as they are, without an article, and many are the names of claims
//! ("Paragon spyware attacks on WhatsApp users (2024)"): the Dutch and Italian sentences
//! are built so that, where possible, no verb or participle has to agree with such a name.
//! Concepts (a role, an outcome, a status) are named by a lowercase common noun, so their
//! sentences read "Role of {s}: {o}." and read the same from both ends.

use std::collections::HashMap;
use std::sync::LazyLock;

/// What a relationship is about: the section of an entity page that shows it, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    /// Incidents and targeting: who was targeted, when, with what, detected by whom.
    Incidents,
    /// Products and vendors: who develops what, platforms, exploits, vulnerabilities,
    /// patches.
    Products,
    /// Customers and attribution: who buys from whom, who is held responsible.
    Customers,
    /// Responses and legal actions: statements, letters, lawsuits, investigations, listings,
    /// decisions.
    Responses,
    /// Organisation and people: parts, agencies, subsidiaries, acquisitions, founders,
    /// affiliations, positions, relatives.
    Organisation,
    /// Places and kinds: country, headquarters, nationality, jurisdiction, roles, types of
    /// organisation.
    Places,
    /// Sources: who says so: publisher, cited sources, references, derivations.
    Sources,
}

/// The languages sentences are written in, in the order of [`Phrase::forward`] and
/// [`Phrase::inverse`].
pub const LANGUAGES: [&str; 3] = ["en", "nl", "it"];

/// How one property reads.
pub struct Phrase {
    /// The property's full IRI.
    pub property: &'static str,
    /// The section of a page the sentence goes in.
    pub topic: Topic,
    /// The sentence in en, nl, it when the page is about the subject: `{s}` stands for the
    /// subject's name, `{o}` for the object's.
    pub forward: [&'static str; 3],
    /// The same fact written from the object's side, for the object's page (the object's name
    /// first where the language allows).
    pub inverse: [&'static str; 3],
}

/// The phrase of a property (full IRI), if it has one.
pub fn phrase(property: &str) -> Option<&'static Phrase> {
    static BY_PROPERTY: LazyLock<HashMap<&'static str, &'static Phrase>> = LazyLock::new(|| {
        PHRASES
            .iter()
            .map(|phrase| (phrase.property, phrase))
            .collect()
    });
    BY_PROPERTY.get(property).copied()
}

/// The heading of a topic's section in a language (en, nl, it; anything else: English).
pub fn topic_title(topic: Topic, language: &str) -> &'static str {
    let [en, nl, it] = match topic {
        Topic::Incidents => [
            "Incidents and targeting",
            "Incidenten en doelwitten",
            "Incidenti e bersagli",
        ],
        Topic::Products => [
            "Products and vendors",
            "Producten en leveranciers",
            "Prodotti e fornitori",
        ],
        Topic::Customers => [
            "Customers and attribution",
            "Klanten en toeschrijving",
            "Clienti e attribuzione",
        ],
        Topic::Responses => [
            "Responses and legal actions",
            "Reacties en juridische stappen",
            "Risposte e azioni legali",
        ],
        Topic::Organisation => [
            "Organisation and people",
            "Organisatie en personen",
            "Organizzazione e persone",
        ],
        Topic::Places => ["Places and kinds", "Plaatsen en soorten", "Luoghi e tipi"],
        Topic::Sources => ["Sources", "Bronnen", "Fonti"],
    };
    match language {
        "nl" => nl,
        "it" => it,
        _ => en,
    }
}

/// The full IRI of a term of our ontology (`vocab::ONTOLOGY_NAMESPACE` + local name).
macro_rules! sa {
    ($name:literal) => {
        concat!("https://w3id.org/spyatlas/ontology#", $name)
    };
}

static PHRASES: &[Phrase] = &[
    // --- Incidents and targeting ------------------------------------------------
    Phrase {
        property: sa!("target"),
        topic: Topic::Incidents,
        forward: [
            "{s} targeted {o}.",
            "Bij {s} werd {o} geviseerd.",
            "Tra i bersagli di {s} figura {o}.",
        ],
        inverse: [
            "{o} was targeted in {s}.",
            "{o} werd geviseerd bij {s}.",
            "{o} figura tra i bersagli di {s}.",
        ],
    },
    Phrase {
        property: sa!("targetCountry"),
        topic: Topic::Incidents,
        forward: [
            "{s} had targets in {o}.",
            "Doelwitten van {s} bevinden zich in {o}.",
            "Alcuni bersagli di {s} si trovano in {o}.",
        ],
        inverse: [
            "{o} is a country where {s} had targets.",
            "In {o} bevinden zich doelwitten van {s}.",
            "In {o} si trovano bersagli di {s}.",
        ],
    },
    Phrase {
        property: sa!("targetGroup"),
        topic: Topic::Incidents,
        forward: [
            "Target group of {s}: {o}.",
            "Soort doelwit bij {s}: {o}.",
            "Gruppo preso di mira da {s}: {o}.",
        ],
        inverse: [
            "Target group of {s}: {o}.",
            "Soort doelwit bij {s}: {o}.",
            "Gruppo preso di mira da {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("outcome"),
        topic: Topic::Incidents,
        forward: [
            "Outcome of {s}: {o}.",
            "Afloop van {s}: {o}.",
            "Esito di {s}: {o}.",
        ],
        inverse: [
            "Outcome of {s}: {o}.",
            "Afloop van {s}: {o}.",
            "Esito di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("targetIdentityStatus"),
        topic: Topic::Incidents,
        forward: [
            "Identity of the targets of {s}: {o}.",
            "Identiteit van de doelwitten van {s}: {o}.",
            "Stato dell'identità dei bersagli di {s}: {o}.",
        ],
        inverse: [
            "Identity of the targets of {s}: {o}.",
            "Identiteit van de doelwitten van {s}: {o}.",
            "Stato dell'identità dei bersagli di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("vendor"),
        topic: Topic::Incidents,
        forward: [
            "The vendor involved in {s} is {o}.",
            "Bij {s} is {o} als leverancier betrokken.",
            "Il fornitore coinvolto in {s} è {o}.",
        ],
        inverse: [
            "{o} is the vendor involved in {s}.",
            "{o} is als leverancier betrokken bij {s}.",
            "{o} è il fornitore coinvolto in {s}.",
        ],
    },
    Phrase {
        property: sa!("usedProduct"),
        topic: Topic::Incidents,
        forward: [
            "The product used in {s} is {o}.",
            "Bij {s} werd {o} gebruikt.",
            "In {s} è stato usato {o}.",
        ],
        inverse: [
            "{o} was used in {s}.",
            "{o} werd gebruikt bij {s}.",
            "{o} è stato usato in {s}.",
        ],
    },
    Phrase {
        property: sa!("exploited"),
        topic: Topic::Incidents,
        forward: [
            "{s} exploited {o}.",
            "Bij {s} werd {o} misbruikt.",
            "In {s} è stato sfruttato {o}.",
        ],
        inverse: [
            "{o} was exploited in {s}.",
            "{o} werd misbruikt bij {s}.",
            "{o} è stato sfruttato in {s}.",
        ],
    },
    Phrase {
        property: sa!("deliveryVector"),
        topic: Topic::Incidents,
        forward: [
            "Delivery vector of {s}: {o}.",
            "Aanvalsvector van {s}: {o}.",
            "Vettore d'attacco di {s}: {o}.",
        ],
        inverse: [
            "Delivery vector of {s}: {o}.",
            "Aanvalsvector van {s}: {o}.",
            "Vettore d'attacco di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("compromisedDevice"),
        topic: Topic::Incidents,
        forward: [
            "{s} compromised {o} devices.",
            "Bij {s} werden {o}-toestellen gecompromitteerd.",
            "In {s} sono stati compromessi dispositivi {o}.",
        ],
        inverse: [
            "{o} devices were compromised in {s}.",
            "{o}-toestellen werden gecompromitteerd bij {s}.",
            "Alcuni dispositivi {o} sono stati compromessi in {s}.",
        ],
    },
    Phrase {
        property: sa!("detectedBy"),
        topic: Topic::Incidents,
        forward: [
            "{s} was detected by {o}.",
            "{s} werd ontdekt door {o}.",
            "Il rilevamento di {s} è opera di {o}.",
        ],
        inverse: [
            "{o} detected {s}.",
            "{o} ontdekte {s}.",
            "{o} ha rilevato {s}.",
        ],
    },
    Phrase {
        property: sa!("incident"),
        topic: Topic::Incidents,
        forward: [
            "{s} is part of {o}.",
            "{s} maakt deel uit van {o}.",
            "{s} fa parte di {o}.",
        ],
        inverse: ["{o} includes {s}.", "{o} omvat {s}.", "{o} comprende {s}."],
    },
    Phrase {
        property: sa!("partOfCampaign"),
        topic: Topic::Incidents,
        forward: [
            "{s} is part of {o}.",
            "{s} maakt deel uit van {o}.",
            "{s} fa parte di {o}.",
        ],
        inverse: ["{o} includes {s}.", "{o} omvat {s}.", "{o} comprende {s}."],
    },
    Phrase {
        property: sa!("surveilledBy"),
        topic: Topic::Incidents,
        forward: [
            "{s} was carried out by {o}.",
            "{s} werd uitgevoerd door {o}.",
            "{s} è opera di {o}.",
        ],
        inverse: [
            "{o} carried out {s}.",
            "{o} voerde {s} uit.",
            "{o} ha condotto {s}.",
        ],
    },
    Phrase {
        property: sa!("surveillanceMethod"),
        topic: Topic::Incidents,
        forward: [
            "Surveillance method of {s}: {o}.",
            "Surveillancemethode van {s}: {o}.",
            "Metodo di sorveglianza di {s}: {o}.",
        ],
        inverse: [
            "Surveillance method of {s}: {o}.",
            "Surveillancemethode van {s}: {o}.",
            "Metodo di sorveglianza di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("targetCountQualifier"),
        topic: Topic::Incidents,
        forward: [
            "How the target count of {s} is meant: {o}.",
            "Hoe het aantal doelwitten van {s} bedoeld is: {o}.",
            "Come va inteso il numero di bersagli di {s}: {o}.",
        ],
        inverse: [
            "How the target count of {s} is meant: {o}.",
            "Hoe het aantal doelwitten van {s} bedoeld is: {o}.",
            "Come va inteso il numero di bersagli di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("incidentCountQualifier"),
        topic: Topic::Incidents,
        forward: [
            "How the incident count of {s} is meant: {o}.",
            "Hoe het aantal incidenten van {s} bedoeld is: {o}.",
            "Come va inteso il numero di incidenti di {s}: {o}.",
        ],
        inverse: [
            "How the incident count of {s} is meant: {o}.",
            "Hoe het aantal incidenten van {s} bedoeld is: {o}.",
            "Come va inteso il numero di incidenti di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("dateQualifier"),
        topic: Topic::Incidents,
        forward: [
            "How the date of {s} is meant: {o}.",
            "Hoe de datum van {s} bedoeld is: {o}.",
            "Come va intesa la data di {s}: {o}.",
        ],
        inverse: [
            "How the date of {s} is meant: {o}.",
            "Hoe de datum van {s} bedoeld is: {o}.",
            "Come va intesa la data di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("startDateQualifier"),
        topic: Topic::Incidents,
        forward: [
            "How the start date of {s} is meant: {o}.",
            "Hoe de begindatum van {s} bedoeld is: {o}.",
            "Come va intesa la data di inizio di {s}: {o}.",
        ],
        inverse: [
            "How the start date of {s} is meant: {o}.",
            "Hoe de begindatum van {s} bedoeld is: {o}.",
            "Come va intesa la data di inizio di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("endDateQualifier"),
        topic: Topic::Incidents,
        forward: [
            "How the end date of {s} is meant: {o}.",
            "Hoe de einddatum van {s} bedoeld is: {o}.",
            "Come va intesa la data di fine di {s}: {o}.",
        ],
        inverse: [
            "How the end date of {s} is meant: {o}.",
            "Hoe de einddatum van {s} bedoeld is: {o}.",
            "Come va intesa la data di fine di {s}: {o}.",
        ],
    },
    // --- Products and vendors ---------------------------------------------------
    Phrase {
        property: sa!("developedBy"),
        topic: Topic::Products,
        forward: [
            "{s} is developed by {o}.",
            "{s} wordt ontwikkeld door {o}.",
            "{s} è sviluppato da {o}.",
        ],
        inverse: [
            "{o} develops {s}.",
            "{o} ontwikkelt {s}.",
            "{o} sviluppa {s}.",
        ],
    },
    Phrase {
        property: sa!("operatedBy"),
        topic: Topic::Products,
        forward: [
            "{s} is operated by {o}.",
            "{s} wordt uitgebaat door {o}.",
            "Il gestore di {s} è {o}.",
        ],
        inverse: [
            "{o} operates {s}.",
            "{o} baat {s} uit.",
            "{o} gestisce {s}.",
        ],
    },
    Phrase {
        property: sa!("affects"),
        topic: Topic::Products,
        forward: ["{s} affects {o}.", "{s} treft {o}.", "{s} colpisce {o}."],
        inverse: [
            "{o} is affected by {s}.",
            "{o} wordt getroffen door {s}.",
            "{o} è tra le piattaforme colpite da {s}.",
        ],
    },
    Phrase {
        property: sa!("exploits"),
        topic: Topic::Products,
        forward: [
            "{s} exploits {o}.",
            "{s} misbruikt {o}.",
            "{s} sfrutta {o}.",
        ],
        inverse: [
            "{o} is exploited by {s}.",
            "{o} wordt misbruikt door {s}.",
            "{o} è una vulnerabilità sfruttata da {s}.",
        ],
    },
    Phrase {
        property: sa!("indicates"),
        topic: Topic::Products,
        forward: [
            "{s} is an indicator of compromise of {o}.",
            "{s} is een indicator van compromittering door {o}.",
            "{s} è un indicatore di compromissione di {o}.",
        ],
        inverse: [
            "{o} is indicated by {s}.",
            "{o} wordt aangewezen door {s}.",
            "{o} è indicato da {s}.",
        ],
    },
    Phrase {
        property: sa!("exploit"),
        topic: Topic::Products,
        forward: [
            "{s} concerns the exploit {o}.",
            "{s} gaat over de exploit {o}.",
            "{s} riguarda l'exploit {o}.",
        ],
        inverse: [
            "{o} is the exploit used in {s}.",
            "{o} is de exploit waarover {s} gaat.",
            "{o} è l'exploit di cui tratta {s}.",
        ],
    },
    Phrase {
        property: sa!("patchedBy"),
        topic: Topic::Products,
        forward: [
            "{s} was released by {o}.",
            "{s} werd uitgebracht door {o}.",
            "Il rilascio di {s} è opera di {o}.",
        ],
        inverse: [
            "{o} released {s}.",
            "{o} bracht {s} uit.",
            "{o} ha rilasciato {s}.",
        ],
    },
    Phrase {
        property: sa!("fixes"),
        topic: Topic::Products,
        forward: ["{s} fixes {o}.", "{s} verhelpt {o}.", "{s} corregge {o}."],
        inverse: [
            "{o} is fixed by {s}.",
            "{o} wordt verholpen door {s}.",
            "{o} è una vulnerabilità corretta da {s}.",
        ],
    },
    Phrase {
        property: sa!("patchedPlatform"),
        topic: Topic::Products,
        forward: [
            "{s} is a patch for {o}.",
            "{s} is een patch voor {o}.",
            "{s} è una patch per {o}.",
        ],
        inverse: [
            "{o} is patched by {s}.",
            "{o} wordt bijgewerkt met {s}.",
            "{o} riceve {s}.",
        ],
    },
    Phrase {
        property: sa!("advisory"),
        topic: Topic::Products,
        forward: [
            "{s} is announced in {o}.",
            "{s} wordt aangekondigd in {o}.",
            "Il bollettino di {s} è {o}.",
        ],
        inverse: [
            "{o} announces {s}.",
            "{o} kondigt {s} aan.",
            "{o} annuncia {s}.",
        ],
    },
    // --- Customers and attribution ----------------------------------------------
    Phrase {
        property: sa!("customerOf"),
        topic: Topic::Customers,
        forward: [
            "{s} is a customer of {o}.",
            "{s} is klant bij {o}.",
            "{s} è cliente di {o}.",
        ],
        inverse: [
            "{o} counts {s} among its customers.",
            "{o} heeft {s} als klant.",
            "{o} annovera {s} tra i suoi clienti.",
        ],
    },
    Phrase {
        property: sa!("customer"),
        topic: Topic::Customers,
        forward: [
            "The customer in {s} is {o}.",
            "De klant in {s} is {o}.",
            "Il cliente in {s} è {o}.",
        ],
        inverse: [
            "{o} is the customer in {s}.",
            "{o} is de klant in {s}.",
            "{o} è il cliente in {s}.",
        ],
    },
    Phrase {
        property: sa!("attributedTo"),
        topic: Topic::Customers,
        forward: [
            "{s} is attributed to {o}.",
            "{s} wordt toegeschreven aan {o}.",
            "La responsabilità di {s} è attribuita a {o}.",
        ],
        inverse: [
            "{o} is held responsible for {s}.",
            "{o} wordt verantwoordelijk gehouden voor {s}.",
            "A {o} è attribuita la responsabilità di {s}.",
        ],
    },
    Phrase {
        property: sa!("attributionStatus"),
        topic: Topic::Customers,
        forward: [
            "Attribution status of {s}: {o}.",
            "Status van de toeschrijving van {s}: {o}.",
            "Stato dell'attribuzione di {s}: {o}.",
        ],
        inverse: [
            "Attribution status of {s}: {o}.",
            "Status van de toeschrijving van {s}: {o}.",
            "Stato dell'attribuzione di {s}: {o}.",
        ],
    },
    // --- Responses and legal actions --------------------------------------------
    Phrase {
        property: sa!("respondsTo"),
        topic: Topic::Responses,
        forward: [
            "{s} is a response to {o}.",
            "{s} is een reactie op {o}.",
            "{s} è una risposta a {o}.",
        ],
        inverse: [
            "In response to {o}: {s}.",
            "Als reactie op {o}: {s}.",
            "In risposta a {o}: {s}.",
        ],
    },
    Phrase {
        property: sa!("respondent"),
        topic: Topic::Responses,
        forward: [
            "{s} is a response by {o}.",
            "{s} is een reactie van {o}.",
            "{s} è una risposta da parte di {o}.",
        ],
        inverse: [
            "{o} responded with {s}.",
            "{o} reageerde met {s}.",
            "{o} ha risposto con {s}.",
        ],
    },
    Phrase {
        property: sa!("addressee"),
        topic: Topic::Responses,
        forward: [
            "{s} is addressed to {o}.",
            "{s} is gericht aan {o}.",
            "Il destinatario di {s} è {o}.",
        ],
        inverse: [
            "{o} is the addressee of {s}.",
            "{o} is de geadresseerde van {s}.",
            "{o} è il destinatario di {s}.",
        ],
    },
    Phrase {
        property: sa!("statedBy"),
        topic: Topic::Responses,
        forward: [
            "{s} is a statement by {o}.",
            "{s} is een verklaring van {o}.",
            "{s} è una dichiarazione di {o}.",
        ],
        inverse: [
            "{o} made {s}.",
            "{o} legde {s} af.",
            "{o} ha rilasciato {s}.",
        ],
    },
    Phrase {
        property: sa!("about"),
        topic: Topic::Responses,
        forward: [
            "{s} is about {o}.",
            "{s} gaat over {o}.",
            "{s} riguarda {o}.",
        ],
        inverse: [
            "{o} is the subject of {s}.",
            "{o} is het onderwerp van {s}.",
            "{o} è oggetto di {s}.",
        ],
    },
    Phrase {
        property: sa!("involves"),
        topic: Topic::Responses,
        forward: [
            "{s} involves {o}.",
            "Bij {s} is {o} betrokken.",
            "{s} coinvolge {o}.",
        ],
        inverse: [
            "{o} is involved in {s}.",
            "{o} is betrokken bij {s}.",
            "{o} è tra le parti coinvolte in {s}.",
        ],
    },
    Phrase {
        property: sa!("plaintiff"),
        topic: Topic::Responses,
        forward: [
            "{s} was brought by {o}.",
            "{s} werd ingediend door {o}.",
            "La parte che ha avviato {s} è {o}.",
        ],
        inverse: [
            "{o} brought {s}.",
            "{o} diende {s} in.",
            "{o} ha avviato {s}.",
        ],
    },
    Phrase {
        property: sa!("defendant"),
        topic: Topic::Responses,
        forward: [
            "{s} is directed against {o}.",
            "{s} is gericht tegen {o}.",
            "La parte convenuta in {s} è {o}.",
        ],
        inverse: [
            "{o} is the defendant in {s}.",
            "{o} is de verweerder in {s}.",
            "{o} è la parte convenuta in {s}.",
        ],
    },
    Phrase {
        property: sa!("court"),
        topic: Topic::Responses,
        forward: [
            "The court in {s} is {o}.",
            "De rechtbank in {s} is {o}.",
            "Il tribunale competente per {s} è {o}.",
        ],
        inverse: [
            "{o} is the court in {s}.",
            "{o} is de rechtbank in {s}.",
            "{o} è il tribunale competente per {s}.",
        ],
    },
    Phrase {
        property: sa!("decides"),
        topic: Topic::Responses,
        forward: [
            "{s} rules on {o}.",
            "{s} beslist over {o}.",
            "{s} si pronuncia su {o}.",
        ],
        inverse: [
            "{o} is ruled on in {s}.",
            "Over {o} wordt beslist in {s}.",
            "Su {o} si pronuncia {s}.",
        ],
    },
    Phrase {
        property: sa!("investigatedBy"),
        topic: Topic::Responses,
        forward: [
            "{s} is investigated by {o}.",
            "{s} wordt onderzocht door {o}.",
            "A indagare su {s} è {o}.",
        ],
        inverse: [
            "{o} investigates {s}.",
            "{o} onderzoekt {s}.",
            "{o} indaga su {s}.",
        ],
    },
    Phrase {
        property: sa!("listingBody"),
        topic: Topic::Responses,
        forward: [
            "The list in {s} is kept by {o}.",
            "De lijst in {s} wordt bijgehouden door {o}.",
            "La lista in {s} è gestita da {o}.",
        ],
        inverse: [
            "{o} keeps the list in {s}.",
            "{o} houdt de lijst in {s} bij.",
            "{o} gestisce la lista in {s}.",
        ],
    },
    Phrase {
        property: sa!("listed"),
        topic: Topic::Responses,
        forward: [
            "{s} places {o} on a list.",
            "{s} plaatst {o} op een lijst.",
            "{s} inserisce {o} in una lista.",
        ],
        inverse: [
            "{o} was placed on a list in {s}.",
            "{o} werd met {s} op een lijst geplaatst.",
            "{o} compare nella lista di {s}.",
        ],
    },
    // --- Organisation and people ------------------------------------------------
    Phrase {
        property: sa!("partOf"),
        topic: Topic::Organisation,
        forward: [
            "{s} is part of {o}.",
            "{s} is een onderdeel van {o}.",
            "{s} fa parte di {o}.",
        ],
        inverse: [
            "{o} includes {s}.",
            "{o} heeft {s} als onderdeel.",
            "{o} comprende {s}.",
        ],
    },
    Phrase {
        property: sa!("agencyOf"),
        topic: Topic::Organisation,
        forward: [
            "{s} is an agency of {o}.",
            "{s} is een dienst van {o}.",
            "{s} è un organo di {o}.",
        ],
        inverse: [
            "{o} includes the agency {s}.",
            "Onder {o} valt {s}.",
            "Tra gli organi di {o} c'è {s}.",
        ],
    },
    Phrase {
        property: sa!("affiliatedWith"),
        topic: Topic::Organisation,
        forward: [
            "{s} is affiliated with {o}.",
            "{s} is verbonden aan {o}.",
            "{s} ha un legame con {o}.",
        ],
        inverse: [
            "{o} has {s} among its affiliates.",
            "Aan {o} is {s} verbonden.",
            "{o} ha un legame con {s}.",
        ],
    },
    Phrase {
        property: sa!("founded"),
        topic: Topic::Organisation,
        forward: [
            "{s} founded {o}.",
            "{s} richtte {o} op.",
            "{s} ha fondato {o}.",
        ],
        inverse: [
            "{o} was founded by {s}.",
            "{o} werd opgericht door {s}.",
            "Tra i fondatori di {o} c'è {s}.",
        ],
    },
    Phrase {
        property: sa!("founder"),
        topic: Topic::Organisation,
        forward: [
            "{s} had {o} as a founder.",
            "{s} had {o} als oprichter.",
            "{s} vede tra i fondatori {o}.",
        ],
        inverse: [
            "{o} took part in {s} as a founder.",
            "{o} was oprichter bij {s}.",
            "{o} figura tra i fondatori in {s}.",
        ],
    },
    Phrase {
        property: sa!("organization"),
        topic: Topic::Organisation,
        forward: [
            "The organisation in {s} is {o}.",
            "De organisatie in {s} is {o}.",
            "L'organizzazione interessata da {s} è {o}.",
        ],
        inverse: [
            "{o} is the organisation in {s}.",
            "{o} is de organisatie in {s}.",
            "{o} è l'organizzazione interessata da {s}.",
        ],
    },
    Phrase {
        property: sa!("acquirer"),
        topic: Topic::Organisation,
        forward: [
            "The buyer in {s} is {o}.",
            "De koper bij {s} is {o}.",
            "L'acquirente in {s} è {o}.",
        ],
        inverse: [
            "{o} is the buyer in {s}.",
            "{o} is de koper bij {s}.",
            "{o} è l'acquirente in {s}.",
        ],
    },
    Phrase {
        property: sa!("acquired"),
        topic: Topic::Organisation,
        forward: [
            "{s} is the acquisition of {o}.",
            "{s} is de overname van {o}.",
            "{s} è l'acquisizione di {o}.",
        ],
        inverse: [
            "{o} was acquired in {s}.",
            "{o} werd overgenomen bij {s}.",
            "{o} cambia proprietario con {s}.",
        ],
    },
    Phrase {
        property: sa!("amountQualifier"),
        topic: Topic::Organisation,
        forward: [
            "How the amount of {s} is meant: {o}.",
            "Hoe het bedrag van {s} bedoeld is: {o}.",
            "Come va inteso l'importo di {s}: {o}.",
        ],
        inverse: [
            "How the amount of {s} is meant: {o}.",
            "Hoe het bedrag van {s} bedoeld is: {o}.",
            "Come va inteso l'importo di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("parentOrganization"),
        topic: Topic::Organisation,
        forward: [
            "The parent organisation in {s} is {o}.",
            "De moederorganisatie in {s} is {o}.",
            "L'organizzazione madre in {s} è {o}.",
        ],
        inverse: [
            "{o} is the parent organisation in {s}.",
            "{o} is de moederorganisatie in {s}.",
            "{o} è l'organizzazione madre in {s}.",
        ],
    },
    Phrase {
        property: sa!("subsidiary"),
        topic: Topic::Organisation,
        forward: [
            "The subsidiary in {s} is {o}.",
            "De dochterorganisatie in {s} is {o}.",
            "La controllata in {s} è {o}.",
        ],
        inverse: [
            "{o} is the subsidiary in {s}.",
            "{o} is de dochterorganisatie in {s}.",
            "{o} è la controllata in {s}.",
        ],
    },
    Phrase {
        property: sa!("person"),
        topic: Topic::Organisation,
        forward: [
            "The person in {s} is {o}.",
            "De persoon in {s} is {o}.",
            "La persona interessata da {s} è {o}.",
        ],
        inverse: [
            "{o} is the person in {s}.",
            "{o} is de persoon in {s}.",
            "{o} è la persona interessata da {s}.",
        ],
    },
    Phrase {
        property: sa!("relatedPerson"),
        topic: Topic::Organisation,
        forward: [
            "The other person in {s} is {o}.",
            "De andere persoon in {s} is {o}.",
            "L'altra persona in {s} è {o}.",
        ],
        inverse: [
            "{o} is the other person in {s}.",
            "{o} is de andere persoon in {s}.",
            "{o} è l'altra persona in {s}.",
        ],
    },
    Phrase {
        property: sa!("relationshipKind"),
        topic: Topic::Organisation,
        forward: [
            "Kind of relationship in {s}: {o}.",
            "Soort relatie in {s}: {o}.",
            "Tipo di relazione in {s}: {o}.",
        ],
        inverse: [
            "Kind of relationship in {s}: {o}.",
            "Soort relatie in {s}: {o}.",
            "Tipo di relazione in {s}: {o}.",
        ],
    },
    // --- Places and kinds -------------------------------------------------------
    // Italian country names take an article as a subject ("l'Italia", "il Belgio"), and
    // labels have none: in Italian a country stands after "in" or after a colon.
    Phrase {
        property: sa!("country"),
        topic: Topic::Places,
        forward: [
            "Country of {s}: {o}.",
            "Land van {s}: {o}.",
            "Paese di {s}: {o}.",
        ],
        inverse: [
            "{o} is the country of {s}.",
            "{o} is het land van {s}.",
            "Paese di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("nationality"),
        topic: Topic::Places,
        forward: [
            "{s} is a national of {o}.",
            "{s} is staatsburger van {o}.",
            "Nazionalità di {s}: {o}.",
        ],
        inverse: [
            "Nationals of {o} include {s}.",
            "{o} telt {s} onder zijn staatsburgers.",
            "Nazionalità di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("residence"),
        topic: Topic::Places,
        forward: ["{s} lives in {o}.", "{s} woont in {o}.", "{s} vive in {o}."],
        inverse: [
            "{o} is home to {s}.",
            "In {o} woont {s}.",
            "In {o} vive {s}.",
        ],
    },
    Phrase {
        property: sa!("headquarters"),
        topic: Topic::Places,
        forward: [
            "{s} has its headquarters in {o}.",
            "Het hoofdkantoor van {s} ligt in {o}.",
            "La sede centrale di {s} è in {o}.",
        ],
        inverse: [
            "{o} hosts the headquarters of {s}.",
            "In {o} ligt het hoofdkantoor van {s}.",
            "In {o} si trova la sede centrale di {s}.",
        ],
    },
    Phrase {
        property: sa!("jurisdiction"),
        topic: Topic::Places,
        forward: [
            "{s} is registered under the law of {o}.",
            "{s} valt onder het recht van {o}.",
            "{s} ha la sede legale in {o}.",
        ],
        inverse: [
            "{o} is the jurisdiction of {s}.",
            "Onder het recht van {o} valt {s}.",
            "In {o} si trova la sede legale di {s}.",
        ],
    },
    Phrase {
        property: sa!("role"),
        topic: Topic::Places,
        forward: [
            "Role of {s}: {o}.",
            "Rol van {s}: {o}.",
            "Ruolo di {s}: {o}.",
        ],
        inverse: [
            "Role of {s}: {o}.",
            "Rol van {s}: {o}.",
            "Ruolo di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("organizationType"),
        topic: Topic::Places,
        forward: [
            "Organisation type of {s}: {o}.",
            "{s} is een {o}.",
            "Tipo di organizzazione di {s}: {o}.",
        ],
        inverse: [
            "Organisation type of {s}: {o}.",
            "{s} is een {o}.",
            "Tipo di organizzazione di {s}: {o}.",
        ],
    },
    // --- Sources ----------------------------------------------------------------
    Phrase {
        property: sa!("status"),
        topic: Topic::Sources,
        forward: [
            "Status of {s}: {o}.",
            "Status van {s}: {o}.",
            "Stato di {s}: {o}.",
        ],
        inverse: [
            "Status of {s}: {o}.",
            "Status van {s}: {o}.",
            "Stato di {s}: {o}.",
        ],
    },
    Phrase {
        property: sa!("accordingTo"),
        topic: Topic::Sources,
        forward: [
            "{s}, according to {o}.",
            "{s}, volgens {o}.",
            "{s}, secondo {o}.",
        ],
        inverse: [
            "According to {o}: {s}.",
            "Volgens {o}: {s}.",
            "Secondo {o}: {s}.",
        ],
    },
    Phrase {
        property: sa!("citedSource"),
        topic: Topic::Sources,
        forward: [
            "For {s}, the report cites {o}.",
            "Voor {s} citeert het rapport {o}.",
            "Per {s} il rapporto cita {o}.",
        ],
        inverse: [
            "{o} is cited as a source for {s}.",
            "{o} wordt als bron geciteerd voor {s}.",
            "{o} figura tra le fonti citate per {s}.",
        ],
    },
    Phrase {
        property: "http://purl.org/dc/terms/publisher",
        topic: Topic::Sources,
        forward: [
            "{s} was published by {o}.",
            "{s} werd gepubliceerd door {o}.",
            "La pubblicazione di {s} è opera di {o}.",
        ],
        inverse: [
            "{o} published {s}.",
            "{o} publiceerde {s}.",
            "{o} ha pubblicato {s}.",
        ],
    },
    Phrase {
        property: "http://purl.org/dc/terms/subject",
        topic: Topic::Sources,
        forward: [
            "{s} covers {o}.",
            "{s} behandelt {o}.",
            "{s} tratta di {o}.",
        ],
        inverse: [
            "{o} is covered in {s}.",
            "{o} wordt behandeld in {s}.",
            "Di {o} tratta {s}.",
        ],
    },
    Phrase {
        property: "http://purl.org/dc/terms/references",
        topic: Topic::Sources,
        forward: [
            "{s} refers to {o}.",
            "{s} verwijst naar {o}.",
            "{s} cita {o}.",
        ],
        inverse: [
            "{o} is referred to in {s}.",
            "Naar {o} wordt verwezen in {s}.",
            "{o} è tra i riferimenti di {s}.",
        ],
    },
    Phrase {
        property: "http://www.w3.org/ns/prov#wasDerivedFrom",
        topic: Topic::Sources,
        forward: [
            "{s} is based on {o}.",
            "{s} is gebaseerd op {o}.",
            "{s} si basa su {o}.",
        ],
        inverse: [
            "{o} serves as a basis for {s}.",
            "{o} dient als basis voor {s}.",
            "{o} fa da base a {s}.",
        ],
    },
    Phrase {
        property: "http://www.w3.org/ns/prov#wasInfluencedBy",
        topic: Topic::Sources,
        forward: [
            "{s} draws on {o}.",
            "{s} put uit {o}.",
            "{s} attinge a {o}.",
        ],
        inverse: [
            "{o} is drawn on in {s}.",
            "{o} is een bron voor {s}.",
            "{o} è una delle fonti di {s}.",
        ],
    },
    Phrase {
        property: "http://www.w3.org/2000/01/rdf-schema#seeAlso",
        topic: Topic::Sources,
        forward: [
            "For {s}, see also {o}.",
            "Zie voor {s} ook {o}.",
            "Per {s} vedi anche {o}.",
        ],
        inverse: [
            "{o} is related to {s}.",
            "{o} hangt samen met {s}.",
            "{o} si collega a {s}.",
        ],
    },
    // A report's address on the web (`url`).
    Phrase {
        property: crate::vocab::read::SCHEMA_URL,
        topic: Topic::Sources,
        forward: [
            "{s} is published at {o}.",
            "{s} is gepubliceerd op {o}.",
            "{s} è pubblicato all'indirizzo {o}.",
        ],
        inverse: [
            "{o} is where {s} is published.",
            "Op {o} is {s} gepubliceerd.",
            "All'indirizzo {o} è pubblicato {s}.",
        ],
    },
    // The `of` key of an assertion: the subject of the triple the assertion states.
    Phrase {
        property: "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject",
        topic: Topic::Sources,
        forward: [
            "{s} is a statement about {o}.",
            "{s} is een bewering over {o}.",
            "{s} è un'affermazione su {o}.",
        ],
        inverse: [
            "{o} is the subject of the statement {s}.",
            "{o} is het onderwerp van de bewering {s}.",
            "{o} è l'oggetto dell'affermazione {s}.",
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::Lang;
    use crate::vocab;
    use std::collections::HashSet;

    const ONTOLOGY: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ontology/spyatlas.ttl"
    ));

    /// The local names of the object properties the ontology declares
    /// (`sa:name a owl:ObjectProperty` at the start of a line).
    fn declared_object_properties() -> Vec<&'static str> {
        ONTOLOGY
            .lines()
            .filter_map(|line| {
                let (name, declaration) = line.strip_prefix("sa:")?.split_once(' ')?;
                let is_word =
                    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
                (is_word && declaration.starts_with("a owl:ObjectProperty")).then_some(name)
            })
            .collect()
    }

    fn sentences(phrase: &Phrase) -> impl Iterator<Item = &'static str> {
        phrase.forward.into_iter().chain(phrase.inverse)
    }

    #[test]
    fn every_sentence_names_both_ends_once_and_ends_with_a_full_stop() {
        for phrase in PHRASES {
            for sentence in sentences(phrase) {
                let context = format!("{}: {sentence:?}", phrase.property);
                assert_eq!(sentence.matches("{s}").count(), 1, "{context}");
                assert_eq!(sentence.matches("{o}").count(), 1, "{context}");
                assert_eq!(sentence.matches('{').count(), 2, "{context}");
                assert!(sentence.ends_with('.'), "{context}");
                assert_eq!(sentence, sentence.trim(), "{context}");
            }
        }
    }

    #[test]
    fn no_property_is_listed_twice() {
        let mut seen = HashSet::new();
        for phrase in PHRASES {
            assert!(seen.insert(phrase.property), "{} twice", phrase.property);
        }
    }

    #[test]
    fn every_object_property_of_the_ontology_has_a_phrase() {
        let declared = declared_object_properties();
        assert!(
            declared.len() >= 70,
            "only {} declarations read",
            declared.len()
        );
        for name in declared {
            let iri = format!("{}{name}", vocab::ONTOLOGY_NAMESPACE);
            assert!(phrase(&iri).is_some(), "no phrase for sa:{name}");
        }
    }

    #[test]
    fn every_phrase_in_our_namespace_is_an_object_property_of_the_ontology() {
        let declared: HashSet<&str> = declared_object_properties().into_iter().collect();
        for phrase in PHRASES {
            if let Some(name) = phrase.property.strip_prefix(vocab::ONTOLOGY_NAMESPACE) {
                assert!(declared.contains(name), "sa:{name} is no object property");
            }
        }
    }

    #[test]
    fn phrases_are_found_by_full_iri_and_leave_labels_and_types_out() {
        let target = phrase(&format!("{}target", vocab::ONTOLOGY_NAMESPACE)).unwrap();
        assert_eq!(target.forward[0], "{s} targeted {o}.");
        assert_eq!(target.topic, Topic::Incidents);
        assert!(phrase("target").is_none());
        for left_out in [
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
            "http://www.w3.org/2000/01/rdf-schema#label",
            "http://www.w3.org/2000/01/rdf-schema#comment",
            "http://www.w3.org/2004/02/skos/core#exactMatch",
            "http://schema.org/mentions",
        ] {
            assert!(phrase(left_out).is_none(), "{left_out}");
        }
    }

    #[test]
    fn sentences_leave_statuses_to_the_badges() {
        // The status of each relationship is shown beside its sentence; the sentence itself
        // neither confirms nor hedges.
        let words = [
            "confirmed",
            "alleged",
            "allegedly",
            "suspected",
            "reportedly",
            "denied",
            "bevestigd",
            "beweerd",
            "vermoed",
            "vermoedelijk",
            "ontkend",
            "zou",
            "confermato",
            "presunto",
            "presuntamente",
            "sospettato",
            "smentito",
        ];
        for phrase in PHRASES {
            for sentence in sentences(phrase) {
                let lowercase = sentence.to_lowercase();
                for word in lowercase.split(|c: char| !c.is_alphabetic()) {
                    assert!(!words.contains(&word), "{sentence:?} says {word:?}");
                }
            }
        }
    }

    #[test]
    fn the_languages_are_those_pages_are_written_in() {
        let codes: Vec<&str> = Lang::ALL.iter().map(|lang| lang.code()).collect();
        assert_eq!(codes, LANGUAGES);
    }

    #[test]
    fn topic_titles_fall_back_to_english() {
        assert_eq!(topic_title(Topic::Sources, "nl"), "Bronnen");
        assert_eq!(topic_title(Topic::Sources, "it"), "Fonti");
        assert_eq!(topic_title(Topic::Sources, "fr"), "Sources");
        assert_eq!(topic_title(Topic::Places, "en"), "Places and kinds");
    }
}
