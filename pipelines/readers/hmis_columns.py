"""The HUD HMIS CSV export's column sets, FY2024 and FY2026, for the files abord reads or writes.

FY2024 follows the HMIS CSV Format Specifications FY2024. FY2026 (effective 1 October 2025) differs, as far as
published vendor notes say: Client.csv drops the 3.06 Gender columns and gains 4.21 `Sex`, and renames
`HispanicLatinaeo` to `HispanicLatinao`; Enrollment.csv gains V10 `MentalHealthConsultation`. Where a new column
sits is assumed (Sex where the gender columns were, MentalHealthConsultation before the audit columns): readers
find columns by name, so only the writer depends on it.
"""

from __future__ import annotations

AUDIT = ("DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID")

EXPORT = (
    "ExportID", "SourceType", "SourceID", "SourceName", "SourceContactFirst", "SourceContactLast",
    "SourceContactPhone", "SourceContactExtension", "SourceContactEmail", "ExportDate", "ExportStartDate",
    "ExportEndDate", "SoftwareName", "SoftwareVersion", "CSVVersion", "ExportPeriodType", "ExportDirective",
    "HashStatus", "ImplementationID",
)  # fmt: skip

CLIENT_NAMES = (
    "PersonalID", "FirstName", "MiddleName", "LastName", "NameSuffix", "NameDataQuality", "SSN", "SSNDataQuality",
    "DOB", "DOBDataQuality",
)  # fmt: skip
RACE_2024 = (
    "AmIndAKNative", "Asian", "BlackAfAmerican", "HispanicLatinaeo", "MidEastNAfrican", "NativeHIPacific", "White",
    "RaceNone", "AdditionalRaceEthnicity",
)  # fmt: skip
GENDER_2024 = (
    "Woman", "Man", "NonBinary", "CulturallySpecific", "Transgender", "Questioning", "DifferentIdentity",
    "GenderNone", "DifferentIdentityText",
)  # fmt: skip
VETERAN = (
    "VeteranStatus", "YearEnteredService", "YearSeparated", "WorldWarII", "KoreanWar", "VietnamWar", "DesertStorm",
    "AfghanistanOEF", "IraqOIF", "IraqOND", "OtherTheater", "MilitaryBranch", "DischargeStatus",
)  # fmt: skip

ENROLLMENT_2024 = (
    "EnrollmentID", "PersonalID", "ProjectID", "EntryDate", "HouseholdID", "RelationshipToHoH", "EnrollmentCoC",
    "LivingSituation", "RentalSubsidyType", "LengthOfStay", "LOSUnderThreshold", "PreviousStreetESSH",
    "DateToStreetESSH", "TimesHomelessPastThreeYears", "MonthsHomelessPastThreeYears", "DisablingCondition",
    "DateOfEngagement", "MoveInDate", "DateOfPATHStatus", "ClientEnrolledInPATH", "ReasonNotEnrolled", "PercentAMI",
    "ReferralSource", "CountOutreachReferralApproaches", "DateOfBCPStatus", "EligibleForRHY", "ReasonNoServices",
    "RunawayYouth", "SexualOrientation", "SexualOrientationOther", "FormerWardChildWelfare", "ChildWelfareYears",
    "ChildWelfareMonths", "FormerWardJuvenileJustice", "JuvenileJusticeYears", "JuvenileJusticeMonths",
    "UnemploymentFam", "MentalHealthDisorderFam", "PhysicalDisabilityFam", "AlcoholDrugUseDisorderFam",
    "InsufficientIncome", "IncarceratedParent", "VAMCStation", "TargetScreenReqd", "TimeToHousingLoss",
    "AnnualPercentAMI", "LiteralHomelessHistory", "ClientLeaseholder", "HOHLeaseholder", "SubsidyAtRisk",
    "EvictionHistory", "CriminalRecord", "IncarceratedAdult", "PrisonDischarge", "SexOffender", "DisabledHoH",
    "CurrentPregnant", "SingleParent", "DependentUnder6", "HH5Plus", "CoCPrioritized", "HPScreeningScore",
    "ThresholdScore", "TranslationNeeded", "PreferredLanguage", "PreferredLanguageDifferent",
)  # fmt: skip

EXIT = (
    "ExitID", "EnrollmentID", "PersonalID", "ExitDate", "Destination", "DestinationSubsidyType", "OtherDestination",
    "HousingAssessment", "SubsidyInformation", "ProjectCompletionStatus", "EarlyExitReason", "ExchangeForSex",
    "ExchangeForSexPastThreeMonths", "CountOfExchangeForSex", "AskedOrForcedToExchangeForSex",
    "AskedOrForcedToExchangeForSexPastThreeMonths", "WorkplaceViolenceThreats", "WorkplacePromiseDifference",
    "CoercedToContinueWork", "LaborExploitPastThreeMonths", "CounselingReceived", "IndividualCounseling",
    "FamilyCounseling", "GroupCounseling", "SessionCountAtExit", "PostExitCounselingPlan", "SessionsInPlan",
    "DestinationSafeClient", "DestinationSafeWorker", "PosAdultConnections", "PosPeerConnections",
    "PosCommunityConnections", "AftercareDate", "AftercareProvided", "EmailSocialMedia", "Telephone",
    "InPersonIndividual", "InPersonGroup", "CMExitReason",
)  # fmt: skip

PROJECT = (
    "ProjectID", "OrganizationID", "ProjectName", "ProjectCommonName", "OperatingStartDate", "OperatingEndDate",
    "ContinuumProject", "ProjectType", "HousingType", "RRHSubType", "ResidentialAffiliation", "TargetPopulation",
    "HOPWAMedAssistedLivingFac", "PITCount",
)  # fmt: skip

SERVICES = (
    "ServicesID", "EnrollmentID", "PersonalID", "DateProvided", "RecordType", "TypeProvided", "OtherTypeProvided",
    "MovingOnOtherType", "SubTypeProvided", "FAAmount", "FAStartDate", "FAEndDate", "ReferralOutcome",
)  # fmt: skip

RACE_2026 = tuple("HispanicLatinao" if c == "HispanicLatinaeo" else c for c in RACE_2024)

# version -> file -> its columns in order
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "FY2024": {
        "Export": EXPORT,
        "Client": CLIENT_NAMES + RACE_2024 + GENDER_2024 + VETERAN + AUDIT,
        "Enrollment": ENROLLMENT_2024 + AUDIT,
        "Exit": EXIT + AUDIT,
        "Project": PROJECT + AUDIT,
        "Services": SERVICES + AUDIT,
    },
    "FY2026": {
        "Export": EXPORT,
        "Client": CLIENT_NAMES + RACE_2026 + ("Sex",) + VETERAN + AUDIT,
        "Enrollment": ENROLLMENT_2024 + ("MentalHealthConsultation",) + AUDIT,
        "Exit": EXIT + AUDIT,
        "Project": PROJECT + AUDIT,
        "Services": SERVICES + AUDIT,
    },
}
VERSIONS = tuple(COLUMNS)
FILES = tuple(COLUMNS["FY2024"])

# Columns that tell the two versions apart when Export.csv's CSVVersion does not.
MARKERS = {"FY2024": "Woman", "FY2026": "Sex"}
