"""The CCTV topic on real sentences: pipe-inspection CCTV, in-car and dash-cam video, passing mentions.

Every text below is quoted from a published FOI page (the source is named above each one); the shipped
``config/topics.yaml`` classifies it, as the monitor would.
"""

from __future__ import annotations

import pytest

from monitor.classify import TopicClassifier, build_classifiers
from monitor.config import TopicConfig, load_config
from tests.conftest import REPO


@pytest.fixture(scope="module")
def cctv() -> TopicClassifier:
    return build_classifiers(load_config(REPO / "config").topics)["cctv"]


# lincolnshire.gov.uk directory-record 75974, "CCTV condition surveys"
DRAINAGE_SURVEY = (
    "CCTV condition surveys",
    "1) Please confirm City of Lincoln Council and/or Lincolnshire County Council imposed contractual "
    "requirements upon CityFibre Holdings Ltd and Trust Utility Management Ltd to procure and undertake "
    "CCTV condition surveys of the existing below ground drainage infrastructure prior to commencement "
    "of their proposed works and another CCTV condition survey upon completion of their works.\n"
    "2) a) Please confirm these surveys are available and have been reviewed",
)
# barnet.gov.uk foi-requests 8587211, "FOI Request - Highway Drainage"
DRAINAGE_BUDGET = (
    "FOI Request - Highway Drainage",
    "2. Please can you provide your highway drainage budget for the last 3 years\n"
    "a. Does this budget only cover gully cleaning, or does it also include other services such as "
    "relining, emergency jetting, CCTV surveys?",
)
# tfl.gov.uk FOI-2274-1819, "Manhole Explosions": surveillance footage, though a manhole is named
MANHOLE_FOOTAGE = (
    "Manhole Explosions",
    "Thank you for your request received on 27 November 2018 asking for CCTV footage of manhole "
    "explosions.\nAlso, as previously stated, station camera footage is usually held for 14 days so we "
    "would not have footage for the time period requested.",
)
# beta.northumbria.police.uk disclosure log, "Dashcam/Camera Footage - 1343/20"
PUBLIC_DASHCAM = (
    "Dashcam/Camera Footage - 1343/20",
    "1. How many submissions of dashcam, smartphone or helmet camera footage of driving offences have "
    "been submitted to your force from members of the public in 2017, 2018 and 2019?",
)
# foi.west-midlands.police.uk, "Fleet Details (4881_14)"
POLICE_IN_CAR = (
    "Fleet Details (4881_14)",
    "4. Please detail whether In-Car/Dash cameras are installed in any of these vehicles?\n"
    "A copy of our in-car video recording policy is available via the Policies and Procedures page.",
)
# moray.gov.uk page_88686, "FOI Request - School Security"
SCHOOL_SECURITY = (
    "FOI Request - School Security",
    "This is a Freedom of Information request to ask for the results of the latest internal or external "
    "review of school security the council has had.\n"
    "(1) Can you tell me who conducted the review and which schools it covered.\n"
    "(2) Then can you provide details of all the security issues highlighted, such as staff not wearing "
    "identification badges, auditors not being asked for identification or doors being left open.\n"
    "(3) If there have been any security breaches at the school in the last five years, can you please "
    "provide details of each individual breach, the people involved and the school which was involved.\n"
    "(1) The review was carried out by Council and school based staff. All schools in Moray were "
    "reviewed.\n(2) The most recent suitability review was completed earlier this year. The issues raised "
    "through this process were perimeter fencing, door access, enhancements to CCTV and reception areas.\n"
    "(3) No breaches of security have been reported.",
)
# hastings.gov.uk FOIR-125542778, "CCTV in Hastings": the same length, but the title names CCTV
HASTINGS_REFUSAL = (
    "CCTV in Hastings",
    "Q1 - 95\nQ2 - NOTICE OF REFUSAL\nPlease note that I consider the information you have requested "
    "regarding the location of CCTV cameras to be exempt information under S31(1)(a) of the Freedom of "
    "Information Act in that disclosure of that information would be likely to prejudice the prevention "
    "or detection of crime.\nThe exemption afforded by S31(1)(a) is subject to what is known as the "
    "'public interest test'. When applying the test in a particular case a public authority is deciding "
    "whether the public interest is better served by non-disclosure than by disclosure. The public "
    "interest is not what interests the public. In the circumstances of this case, the public interest "
    "in maintaining the exemption outweighs the public interest in disclosing the information, which is "
    "why Section 31 has been applied. You have the right to ask for an internal review.",
)


@pytest.mark.parametrize(
    ("text", "matched", "why"),
    [
        (DRAINAGE_SURVEY, False, "“CCTV” here means pipe inspection (a drainage CCTV survey); not counted"),
        (DRAINAGE_BUDGET, False, "“CCTV” here means pipe inspection (a drainage CCTV survey); not counted"),
        (MANHOLE_FOOTAGE, True, "“CCTV”, “camera footage”, “footage” in the text, 4 times"),
        (PUBLIC_DASHCAM, True, "“dashcam”, “camera footage” in the title and text"),
        (POLICE_IN_CAR, True, "“dash cameras”, “in car video” in the text, 2 times"),
        (SCHOOL_SECURITY, False, "“CCTV” mentioned once in passing in 163 words; not counted"),
        (HASTINGS_REFUSAL, True, "“CCTV”, “cameras” in the title and text, 3 times"),
    ],
    ids=["drainage-survey", "drainage-budget", "manhole-footage", "dashcam", "in-car", "passing", "title"],
)
def test_real_texts(cctv: TopicClassifier, text: tuple[str, str], matched: bool, why: str) -> None:
    title, body = text
    verdict = cctv.classify(title=title, response=body)
    assert verdict.matched is matched, verdict
    assert verdict.reason.startswith(why), verdict.reason


def test_a_passing_mention_keeps_its_evidence(cctv: TopicClassifier) -> None:
    verdict = cctv.classify(title=SCHOOL_SECURITY[0], response=SCHOOL_SECURITY[1])
    assert verdict.terms == ["cctv"] and "enhancements to CCTV" in verdict.snippets[0]
    assert 0 < verdict.score < cctv.topic.threshold


def test_the_same_mention_in_the_title_counts(cctv: TopicClassifier) -> None:
    """The school-security text with its CCTV sentence as the title is about CCTV."""
    sentence = (
        "The issues raised through this process were perimeter fencing, door access, enhancements to CCTV"
    )
    verdict = cctv.classify(title=sentence, response=SCHOOL_SECURITY[1])
    assert verdict.matched, verdict.reason


def test_a_short_text_is_never_a_passing_mention(cctv: TopicClassifier) -> None:
    verdict = cctv.classify(title="Access", request="Please send the CCTV footage of the car park on 3 May.")
    assert verdict.matched and "passing" not in verdict.reason


def test_pipe_cues_only_set_aside_their_own_sentence(cctv: TopicClassifier) -> None:
    title, refusal = HASTINGS_REFUSAL
    verdict = cctv.classify(title=title, response=DRAINAGE_BUDGET[1] + "\n" + refusal)
    assert verdict.matched, verdict.reason
    assert verdict.reason.startswith("“CCTV” here means pipe inspection")


def test_without_the_new_rules_a_topic_scores_as_before(cctv: TopicClassifier) -> None:
    plain = cctv.topic.model_copy(update={"other_senses": {}, "passing": None})
    verdict = TopicClassifier("cctv", TopicConfig.model_validate(plain.model_dump())).classify(
        title=DRAINAGE_SURVEY[0], response=DRAINAGE_SURVEY[1]
    )
    assert verdict.matched and verdict.terms == ["cctv"]


def test_the_version_changes_with_the_rules(cctv: TopicClassifier) -> None:
    stricter = cctv.topic.model_copy(update={"passing": None})
    assert TopicClassifier("cctv", stricter).version != cctv.version


# -- context rules: a weak word made strong by its sentence's company ---------------------------
# tfl.gov.uk FOI-2598-2223, "ULEZ camera locations": charging-zone cameras are number-plate cameras
ULEZ = (
    "ULEZ camera locations",
    "Please may you provide me with: The location of ULEZ cameras throughout the ulez zone. Please "
    "provide the information in the form of an email.",
)
# charnwood.gov.uk freedom-of-information-requests 1213, "Surveillance Camera" (request cut)
LAMP_CAMERA = (
    "Camera on Valley Road",
    "A camera was placed on a street lamp column outside my property on Valley Road, Loughborough on "
    "5 July 2012. It was mounted in a shiny chromium/steel container secured to the street light column.",
)
# tfl.gov.uk FOI-0656-2223, "Bus lane cameras file": traffic-enforcement cameras, no surveillance
BUS_LANE = (
    "Bus lane cameras file",
    "Good morning, I was just having a look at the bus lane camera request (FOI-2452-1617) and wanted "
    "to download the file but it doesn't work for some reason. Could I be assisted with this, please?",
)


@pytest.mark.parametrize(
    ("text", "matched", "meaning"),
    [
        (ULEZ, True, "charging zone"),
        (LAMP_CAMERA, True, "street lighting"),
        (BUS_LANE, False, None),
    ],
    ids=["ulez-cameras", "camera-on-a-lamp-column", "bus-lane-cameras"],
)
def test_context_rules(
    cctv: TopicClassifier, text: tuple[str, str], matched: bool, meaning: str | None
) -> None:
    verdict = cctv.classify(title=text[0], request=text[1])
    assert verdict.matched is matched, verdict
    if meaning:
        assert meaning in verdict.reason, verdict.reason


def test_the_same_cameras_without_their_company_stay_weak(cctv: TopicClassifier) -> None:
    # "cameras" alone, in a text about something else, does not reach the threshold.
    verdict = cctv.classify(title="Camera locations", request="Please provide the location of the cameras.")
    assert not verdict.matched, verdict


def test_a_topic_of_ones_own_can_declare_contexts() -> None:
    topic = TopicConfig(
        terms={"drone": 0.6, "flights": 0.2},
        contexts={"drone flights": {"terms": ["flights"], "cues": ["unmanned"], "weight": 0.6}},
    )
    classifier = build_classifiers({"drones": topic})["drones"]
    assert not classifier.classify(title="Flights", request="How many flights were made in 2023?").matched
    raised = classifier.classify(title="Flights", request="How many unmanned flights were made in 2023?")
    assert raised.matched and "drone flights" in raised.reason, raised
