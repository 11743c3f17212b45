"""The vocabulary of certificate holders: professions and licensing jurisdictions.

Plain choices with no models, so that the catalog (approvals cover professions and
jurisdictions) and the certificates use the same codes as the learner's account.
"""

from django.db import models


class Profession(models.TextChoices):
    PSYCHOLOGIST = "psychologist", "Psychologist"
    COUNSELOR = "counselor", "Professional counselor"
    SOCIAL_WORKER = "social_worker", "Social worker"
    MFT = "mft", "Marriage and family therapist"
    OTHER = "other", "Other"


PROFESSION_PLURALS = {
    Profession.PSYCHOLOGIST: "psychologists",
    Profession.COUNSELOR: "professional counselors",
    Profession.SOCIAL_WORKER: "social workers",
    Profession.MFT: "marriage and family therapists",
    Profession.OTHER: "other professions",
}


class Jurisdiction(models.TextChoices):
    """US states and DC, then Canadian provinces and territories, by postal code.

    The two sets of postal codes do not overlap, and CE Broker's State= column takes the
    same two letters.
    """

    AL = "AL", "Alabama"
    AK = "AK", "Alaska"
    AZ = "AZ", "Arizona"
    AR = "AR", "Arkansas"
    CA = "CA", "California"
    CO = "CO", "Colorado"
    CT = "CT", "Connecticut"
    DE = "DE", "Delaware"
    DC = "DC", "District of Columbia"
    FL = "FL", "Florida"
    GA = "GA", "Georgia"
    HI = "HI", "Hawaii"
    ID = "ID", "Idaho"
    IL = "IL", "Illinois"
    IN = "IN", "Indiana"
    IA = "IA", "Iowa"
    KS = "KS", "Kansas"
    KY = "KY", "Kentucky"
    LA = "LA", "Louisiana"
    ME = "ME", "Maine"
    MD = "MD", "Maryland"
    MA = "MA", "Massachusetts"
    MI = "MI", "Michigan"
    MN = "MN", "Minnesota"
    MS = "MS", "Mississippi"
    MO = "MO", "Missouri"
    MT = "MT", "Montana"
    NE = "NE", "Nebraska"
    NV = "NV", "Nevada"
    NH = "NH", "New Hampshire"
    NJ = "NJ", "New Jersey"
    NM = "NM", "New Mexico"
    NY = "NY", "New York"
    NC = "NC", "North Carolina"
    ND = "ND", "North Dakota"
    OH = "OH", "Ohio"
    OK = "OK", "Oklahoma"
    OR = "OR", "Oregon"
    PA = "PA", "Pennsylvania"
    RI = "RI", "Rhode Island"
    SC = "SC", "South Carolina"
    SD = "SD", "South Dakota"
    TN = "TN", "Tennessee"
    TX = "TX", "Texas"
    UT = "UT", "Utah"
    VT = "VT", "Vermont"
    VA = "VA", "Virginia"
    WA = "WA", "Washington"
    WV = "WV", "West Virginia"
    WI = "WI", "Wisconsin"
    WY = "WY", "Wyoming"
    AB = "AB", "Alberta"
    BC = "BC", "British Columbia"
    MB = "MB", "Manitoba"
    NB = "NB", "New Brunswick"
    NL = "NL", "Newfoundland and Labrador"
    NS = "NS", "Nova Scotia"
    NT = "NT", "Northwest Territories"
    NU = "NU", "Nunavut"
    ON = "ON", "Ontario"
    PE = "PE", "Prince Edward Island"
    QC = "QC", "Quebec"
    SK = "SK", "Saskatchewan"
    YT = "YT", "Yukon"


JURISDICTION_GROUPS = [
    ("United States", [(j.value, j.label) for j in Jurisdiction][:51]),
    ("Canada", [(j.value, j.label) for j in Jurisdiction][51:]),
]


def jurisdiction_code(text: str) -> str:
    """The code for a typed name or code ("california", "CA", " Ca "), or "" if none."""
    cleaned = " ".join(text.split()).casefold().removesuffix(".")
    for jurisdiction in Jurisdiction:
        if cleaned in {jurisdiction.value.casefold(), jurisdiction.label.casefold()}:
            return jurisdiction.value
    return ""


def jurisdiction_name(code: str) -> str:
    return Jurisdiction(code).label if code in Jurisdiction.values else code


NO_LICENSE_TEXT = "License: none stated by the participant"
