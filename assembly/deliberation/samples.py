"""Sample briefings, questions and answers for `minipublic demo`: what an assembly on data and
AI would hear from council staff, NHS staff, researchers, a regulator and campaigners, each with
their declared interests and an easy-read version. The speakers and organisations named here
are fictional; the facts they describe are typical of English councils."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from assembly.deliberation import briefings, questions
from assembly.deliberation.models import Briefing, Question, Round, RoundKind
from assembly.selection.models import Member, MemberStatus
from assembly.tables import row_id


@dataclass(frozen=True)
class Sample:
    title: str
    summary: str
    body: str
    easy_read: str
    speaker: tuple[str, str, str]     # name, role, organisation
    interests: str
    # (question, answer or "" for one still waiting to be answered)
    asked: tuple[tuple[str, str], ...] = ()
    video: tuple[str, str] = ("", "")  # link, transcript


FIRST_ROUND = (
    Sample(
        "How the council uses data in adult social care",
        "The council keeps records about the 9,000 adults it supports with care. It uses them "
        "to plan visits, pay care providers and spot people who may need help soon. A computer "
        "model flags some people for a check-up call, but a social worker always decides.",
        "## What the council keeps\n\n"
        "When someone asks for help with care, the council records their needs assessment, "
        "their care plan, the services they receive and what those cost. Care workers add "
        "notes after visits.\n\n"
        "## What it does with it\n\n"
        "- **Running services:** planning visit rounds, paying around 140 care providers, and "
        "checking that care plans are reviewed every year.\n"
        "- **Planning:** counting how many people will need home care or a care home place in "
        "five years' time.\n"
        "- **Early help:** since 2023 a *risk model* looks at falls, hospital stays and missed "
        "visits, and lists about 200 people a month for a check-up call.\n\n"
        "## Safeguards\n\n"
        "The model only suggests a call; a social worker decides what happens. Staff see only "
        "the records of people they work with, and every look at a record is logged. The "
        "council published a [data protection impact assessment](https://example.org/dpia) "
        "for the model.\n\n"
        "| Year | People flagged | Calls that led to more support |\n"
        "|---|---|---|\n| 2023 | 2,310 | 640 |\n| 2024 | 2,480 | 710 |\n",
        "The council helps about 9,000 adults with care.\n\n"
        "It writes down what help each person needs.\n\n"
        "A computer looks for people who may need more help soon.\n\n"
        "Then a person from the council phones them.\n\n"
        "The computer never decides on its own. A social worker decides.",
        ("Sarah Okafor", "Head of Adult Social Care Performance", "Mersey City Council"),
        "Employed by the council, which runs the service and bought the risk model from a "
        "software company. No other interests.",
        (("Can I see what the computer says about me?",
          ("Yes. You can ask for a copy of everything the council holds about you, including "
          "whether the model flagged you and why. It is free and takes up to a month.")),
         ("Who made the risk model and do they see our data?",
          ("A UK software company built it. It runs on the council's own systems; the company "
          "cannot see residents' records and is not allowed to use them to train other "
          "products.")))),
    Sample(
        "Your rights under data protection law",
        "UK data protection law (the UK GDPR and the Data Protection Act 2018) gives you rights "
        "over information about you: to see it, to correct it, to object, and not to be "
        "subject to some decisions made only by a computer.",
        "## The main rights\n\n"
        "1. **To be told** what is collected and why (the council's privacy notices).\n"
        "2. **To see your data** (a *subject access request*), free, answered within a month.\n"
        "3. **To have mistakes corrected.**\n"
        "4. **To object** to some uses, and sometimes to have data deleted.\n"
        "5. **Not to be subject to a decision made only by a computer** that has a legal or "
        "similarly significant effect on you, except in limited cases with safeguards.\n\n"
        "## Where to complain\n\n"
        "Complain to the council's data protection officer first. If you are not satisfied, "
        "you can complain to the [Information Commissioner's Office](https://ico.org.uk), the "
        "regulator.\n\n"
        "## What the law does not do\n\n"
        "It does not stop public bodies using data for their legal duties, such as protecting "
        "children or collecting council tax. It asks them to use no more than they need, and "
        "to be open about it.",
        "There is a law about information about you.\n\n"
        "You can ask to see it. It is free.\n\n"
        "You can ask the council to fix mistakes.\n\n"
        "A computer should not make big decisions about you on its own.\n\n"
        "If you are unhappy, you can complain to the ICO.",
        ("Daniel Hughes", "Solicitor, information law", "North West Law Centre"),
        "Works for a charity that gives free legal advice, funded partly by the council. "
        "Has advised residents in complaints against the council.",
        (("How long does the council keep my data?",
          ("Each kind of record has a retention period in the council's retention schedule: "
          "care records are usually kept for 8 years after care ends. You can ask for the "
          "schedule.")),)),
    Sample(
        "Where the council's data goes",
        "The council shares some data with the NHS, the police, the Department for Work and "
        "Pensions and companies that run services for it. Each sharing needs a legal reason "
        "and a written agreement.",
        "## Who receives it\n\n"
        "- **The NHS**, to plan hospital discharges and joint care.\n"
        "- **The police**, when a child or adult is at risk, and to prevent crime.\n"
        "- **Government departments**, for benefits and national statistics.\n"
        "- **Contractors** that run services for the council (bins, IT, care providers): they "
        "may only use the data for that service.\n\n"
        "## How it is controlled\n\n"
        "Each regular sharing has a *data sharing agreement* saying what is shared, why, how "
        "it is kept safe and when it is deleted. The council keeps a register of them.",
        "The council gives some information to other groups.\n\n"
        "For example the NHS and the police.\n\n"
        "There must be a good reason in law.\n\n"
        "There is a written agreement each time.",
        ("Priya Natarajan", "Data Protection Officer", "Mersey City Council"),
        "Employed by the council. Her job is to check the council follows data protection law, "
        "and she reports to the council's senior management.",
        (("Does the council sell our data?",
          ("No. The council does not sell personal data. It sometimes publishes statistics "
          "that cannot identify anyone, which anyone can use.")),)),
)

SECOND_ROUND = (
    Sample(
        "Predictive analytics in children's services",
        "Some councils use computer models to predict which families might need help from "
        "children's services. Supporters say it finds families earlier; critics say it is "
        "often wrong, can be unfair to poorer families and is hard to challenge.",
        "## What these systems do\n\n"
        "They combine records such as school attendance, police call-outs, housing arrears "
        "and health visits, and give each family a *risk score*. Staff then decide whether to "
        "offer early help.\n\n"
        "## What the evidence says\n\n"
        "A 2020 study for the What Works Centre for Children's Social Care tested models in "
        "four councils and found none predicted well enough to be relied on: most families "
        "flagged did not go on to need a social worker, and many who did were missed.\n\n"
        "## The concerns\n\n"
        "- Families who use public services more (often poorer families) have more data, so "
        "they are flagged more.\n- Families are rarely told they have a score.\n"
        "- A wrong flag can lead to stressful visits.\n\n"
        "## Our council\n\n"
        "Mersey City Council does **not** use a predictive model in children's services. It "
        "was offered one in 2021 and decided against it.",
        "Some councils use computers to guess which families may need help.\n\n"
        "Tests show the guesses are often wrong.\n\n"
        "Poorer families can be picked more often.\n\n"
        "Our council does not use this now.",
        ("Dr Helen Marsh", "Senior Research Fellow", ("Centre for Children and Data, "
                                                     "University of the North")),
        "Her research is funded by UK Research and Innovation and the Nuffield Foundation. "
        "She has been paid to advise two councils on evaluating these systems. No payments "
        "from software companies.",
        (("If it finds even one child in danger, isn't it worth it?",
          ("Every tool misses some children and wrongly flags others. The question is whether "
          "it does better than social workers' judgement and other ways of spending the same "
          "money; so far the evidence says it does not.")),
         ("Would parents be told if they had a score?", ""))),
    Sample(
        "Live facial recognition in city centres",
        "Police forces in England have used live facial recognition cameras to look for "
        "wanted people in crowds. It compares every face passing the camera with a watchlist. "
        "The police say it catches offenders; campaigners say it treats everyone as a suspect.",
        "## How it works\n\n"
        "A camera van films people walking past. Software turns each face into a set of "
        "measurements and compares them with a *watchlist* of people the police are looking "
        "for. A match alerts an officer, who decides whether to stop the person. Faces that do "
        "not match are deleted at once.\n\n"
        "## The law\n\n"
        "In 2020 the Court of Appeal found one force's use unlawful (the Bridges case) because "
        "the rules on who goes on a watchlist and where cameras go were too loose. Forces now "
        "publish policies; there is no law written specifically for it.\n\n"
        "## The debate\n\n"
        "- **For:** arrests of people wanted for serious offences, and the software is now "
        "much more accurate than five years ago.\n"
        "- **Against:** thousands of innocent people are scanned for each arrest, there have "
        "been wrong matches, and people may stay away from protests.",
        "Some police vans have cameras that look at faces in a crowd.\n\n"
        "A computer checks if the face is on a list of wanted people.\n\n"
        "If it is, a police officer decides what to do.\n\n"
        "Some people think this keeps us safe. Others think it is too much watching.",
        ("Chief Inspector Mark Evans", "Lead for technology and innovation", "Mersey Police"),
        "Employed by the police force, which has trialled live facial recognition twice and is "
        "considering regular use.",
        (("Would the council put these cameras on its own CCTV?",
          ("The council runs CCTV but has no plans to add facial recognition, and any proposal "
          "would come to councillors and be published first.")),
         ("How many wrong matches were there in the trials?",
          ("In our two trials, 41,000 faces were scanned, there were 9 alerts, and 2 of them "
          "were the wrong person. Both were spoken to and went on their way."))),
        ("https://video.example.org/facial-recognition-briefing",
         ("Hello, I'm Mark Evans from Mersey Police. In the next ten minutes I'll explain what "
         "live facial recognition is, how we trialled it and what we learned.\n\nThe camera "
         "only keeps an image when it finds a possible match. An officer always looks before "
         "anyone is stopped."))),
    Sample(
        "Facial recognition: the case against",
        "A civil liberties campaigner explains why she thinks live facial recognition should "
        "not be used in public places: it scans everyone, mistakes fall harder on some groups, "
        "and Parliament has never voted on it.",
        "## Everyone becomes a suspect\n\n"
        "Walking through a city centre should not mean having your face checked against a "
        "police list. Most people scanned have done nothing wrong.\n\n"
        "## Mistakes are not shared equally\n\n"
        "Independent tests have found that some systems made more mistakes for Black people "
        "and for women, depending on how they were set up.\n\n"
        "## No law from Parliament\n\n"
        "Police rely on general powers and their own policies. We think a technology this "
        "powerful needs a law, passed by Parliament, with independent oversight.",
        "Some people want to stop face-checking cameras.\n\n"
        "They say innocent people should not be checked.\n\n"
        "They say mistakes happen more to some people.\n\n"
        "They want Parliament to make clear rules.",
        ("Amira Bello", "Policy Officer", "Liberty Watch North (a campaign group)"),
        "Works for a campaign group funded by members' donations and charitable trusts. The "
        "group campaigns for a ban on live facial recognition.",
        (("Are there places where it has been banned?",
          ("Several US cities, including San Francisco, banned police use. The EU's AI Act "
          "allows it only in narrow cases, such as searching for a missing child.")),)),
    Sample(
        "Sharing data between the NHS and councils",
        "Hospitals, GPs and councils share information so people leaving hospital get care at "
        "home quickly. A new shared care record lets staff see key details across services. "
        "This can save time and mistakes, but raises questions about who sees what.",
        "## Why share\n\n"
        "When an older person leaves hospital, the council must arrange care. Without shared "
        "records, families are asked the same questions many times and people wait in "
        "hospital beds.\n\n"
        "## The shared care record\n\n"
        "Staff in GP practices, hospitals and council care teams can see a summary: medicines, "
        "allergies, care plans and key contacts. Each look is logged.\n\n"
        "## Your choices\n\n"
        "You can ask not to have a shared care record, and you can opt out of your NHS data "
        "being used for research and planning (the *National Data Opt-out*).",
        "Hospitals and the council share some information.\n\n"
        "This helps people get care at home faster.\n\n"
        "Staff can see your medicines and care plan.\n\n"
        "You can say no to sharing.",
        ("Dr James Whitfield", "Chief Clinical Information Officer", ("Mersey Integrated Care "
                                                                     "Board (NHS)")),
        "Employed by the NHS. Also works one day a week as a GP. Chairs the board that "
        "oversees the shared care record.",
        (("Can my employer or an insurer see my shared care record?",
          ("No. Only health and care staff directly caring for you can see it, and each look is "
          "recorded and checked.")),)),
    Sample(
        "A council chatbot",
        "The council is testing an AI chatbot on its website to answer questions about bins, "
        "council tax and parking at any time of day. It can get things wrong, so it says it is "
        "a computer and hands over to a person for anything personal.",
        "## What it does\n\n"
        "It answers common questions using the council's own web pages, and links to the page "
        "it used. It is available at night and in 12 languages.\n\n"
        "## What it does not do\n\n"
        "It does not make decisions, see your council tax account or take payments. For "
        "anything about you, it passes you to a person.\n\n"
        "## The risks\n\n"
        "- It can give a wrong answer that sounds right.\n"
        "- Conversations are kept for 30 days to check quality.\n"
        "- People without internet still need to phone or visit.",
        "The council is trying a computer that answers questions on the website.\n\n"
        "It says it is a computer.\n\n"
        "It can make mistakes.\n\n"
        "You can always talk to a person instead.",
        ("Tom Lee", "Head of Digital Services", "Mersey City Council"),
        "Employed by the council and leads the chatbot project. The council pays a technology "
        "company for the software.",
        (("Will the chatbot replace the phone line?",
          ("No. The phone line and the customer service centre stay. The aim is to shorten "
          "queues for people who need to speak to someone.")),
         ("What happens to what I type?", ""))),
    Sample(
        "Algorithms in housing and benefits",
        "Councils use computer rules to sort housing applications, and some have used "
        "software to pick housing benefit claims for extra checks. Done well this is fair and "
        "quick; done badly it can wrongly pick out some groups.",
        "## Housing waiting lists\n\n"
        "Applications are placed in bands by fixed rules written in the allocation policy. "
        "The rules are public, and every decision can be reviewed by a person.\n\n"
        "## Checking claims\n\n"
        "Some councils used *risk-based verification* software to decide which benefit claims "
        "get extra checks. Several stopped because they could not show it was fair.\n\n"
        "## What good practice looks like\n\n"
        "Publish the rules, test them for unfairness, tell people when a computer was used, "
        "and make it easy to ask a person to look again.",
        "Computers help sort who gets a council home.\n\n"
        "The rules are public.\n\n"
        "Some councils used computers to check benefit claims, then stopped.\n\n"
        "You can always ask a person to look again.",
        ("Grace Adeyemi", "Researcher", "Public Interest Algorithms Project"),
        "Works for an independent research project funded by a charitable foundation. Has "
        "published reports criticising councils' use of risk-based verification.",
        (("Does our council use risk-based verification?",
          ("The council used it from 2016 to 2022 and then stopped. It now checks claims using "
          "published rules only.")),)),
    Sample(
        "How AI models are trained on public data",
        "Modern AI tools learn from huge amounts of data. Companies want access to public "
        "sector data to build them. Sharing could bring better services, but once data is in "
        "a model it is hard to take back.",
        "## Learning from examples\n\n"
        "An AI model is trained by showing it millions of examples. Health and council "
        "records are valuable because they are detailed and cover whole populations.\n\n"
        "## Safe ways to share\n\n"
        "*Trusted research environments* let approved researchers analyse data without "
        "taking it away. Data can also be *de-identified*, though this is never perfect.\n\n"
        "## Questions for the assembly\n\n"
        "- Should companies pay for access?\n- Who should decide?\n"
        "- Should residents be asked first?",
        "AI computers learn from lots of information.\n\n"
        "Companies want to use public information.\n\n"
        "There are safer ways to share it.\n\n"
        "We need to decide who says yes or no.",
        ("Prof. Richard Kemp", "Professor of Machine Learning", "University of the North"),
        "His research group receives funding from two technology companies and the NHS. He is "
        "an unpaid adviser to a government AI panel.",
        (("Can data be made completely anonymous?",
          ("Not completely. Removing names helps, but people can sometimes be re-identified by "
          "combining details. That is why access is controlled as well.")),)),
    Sample(
        "What residents told us: the data and AI survey",
        "Before this assembly, 2,100 residents answered a survey about data and AI. Most were "
        "happy for the council to use data to plan services, but far fewer wanted computers "
        "to make decisions about them.",
        "## Headline results\n\n"
        "| Statement | Agree |\n|---|---|\n"
        "| The council should use data to plan services | 78% |\n"
        "| I trust the council to keep my data safe | 52% |\n"
        "| A computer should be allowed to make decisions about me | 14% |\n"
        "| I would want to be told when a computer was used | 91% |\n\n"
        "## Who answered\n\n"
        "Answers were weighted to match the city's population by age, sex and area. Fewer "
        "young people answered, so their results are less certain.",
        "We asked 2,100 people what they think.\n\n"
        "Most are happy for the council to use information to plan.\n\n"
        "Most do not want a computer to decide things about them.\n\n"
        "Almost everyone wants to be told when a computer is used.",
        ("Lucy Brennan", "Research and Intelligence Manager", "Mersey City Council"),
        "Employed by the council, which commissioned this assembly and the survey.",
        (("Why should we trust a survey the council ran itself?",
          ("An independent polling company ran the fieldwork and weighting, and the full "
          "questions and results are published on the council's website.")),)),
)


def _add(session: Session, item: Round, samples: tuple[Sample, ...], askers: list[int],
         start: datetime, actor: str) -> None:
    for number, sample in enumerate(samples):
        name, role, organisation = sample.speaker
        briefing = briefings.create(session, item, briefings.Details(
            sample.title, sample.summary, sample.body, sample.easy_read, name, organisation,
            role, sample.interests, sample.video[0], sample.video[1]), actor=actor,
            now=start + timedelta(hours=number))
        for index, (text, answer) in enumerate(sample.asked):
            asked_at = start + timedelta(days=1, hours=number, minutes=index * 7)
            question = Question(round_id=row_id(item.id), briefing_id=briefing.id, text=text,
                                member_id=askers[(number + index) % len(askers)]
                                if askers else None, asked_at=asked_at)
            session.add(question)
            session.flush()
            if answer:
                questions.answer(session, item, question, answer, name, actor=actor,
                                 now=asked_at + timedelta(days=1))


def add(session: Session, learn_rounds: list[Round], *, actor: str) -> bool:
    """Briefings, questions and answers for the demo's first two learn rounds; False (and
    nothing added) when they already have briefings."""
    learn = [r for r in learn_rounds if RoundKind(r.kind) is RoundKind.learn][:2]
    if len(learn) < 2 or session.exec(select(Briefing.id).where(
            col(Briefing.round_id).in_([r.id for r in learn]))).first() is not None:
        return False
    askers = list(session.exec(select(Member.id).where(
        Member.assembly_id == learn[0].assembly_id,
        Member.status == MemberStatus.joined.value).order_by(col(Member.id)).limit(12)).all())
    ids = [row_id(i) for i in askers]
    for item, samples in ((learn[0], FIRST_ROUND), (learn[1], SECOND_ROUND)):
        _add(session, item, samples, ids, item.opens_at - timedelta(days=2), actor)
    return True


