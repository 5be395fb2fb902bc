"""Words the demo office is made of: programmes, project names, people, RAID themes and report phrases.

Kept apart from the generator so that the generator reads as logic and this module as content.
Everything here is fictional; supplier names are the usual sample-company names.
"""

from __future__ import annotations

from dataclasses import dataclass

ORGANISATION = "Harbourside Group"
EMAIL_DOMAIN = "harbourside.example"


@dataclass(frozen=True, slots=True)
class ProgrammeTheme:
    """A programme: its name, code prefix, home department, sponsor and the projects it runs."""

    name: str
    prefix: str
    department: str
    description: str
    project_names: tuple[str, ...]


PROGRAMMES: tuple[ProgrammeTheme, ...] = (
    ProgrammeTheme(
        "Digital Customer", "DCX", "Customer Services",
        "Make every common customer transaction available online, end to end.",
        ("Customer Portal Redesign", "Mobile App Relaunch", "Online Payments Upgrade", "Web Chat Rollout",
         "Customer Identity and Login", "Self-service Bookings", "Complaints Handling Online",
         "Contact Centre Telephony Replacement", "Digital Accessibility Remediation", "CRM Consolidation",
         "Customer Notifications Service", "Website Content Migration", "Field Service Scheduling App",
         "Customer Feedback Platform"),
    ),
    ProgrammeTheme(
        "Finance Transformation", "FIN", "Finance",
        "Replace the ageing finance estate and move to monthly rolling forecasts.",
        ("ERP General Ledger Migration", "Purchase-to-Pay Automation", "Budgeting and Forecasting Tool",
         "Expenses System Replacement", "Month-end Close Acceleration", "Treasury Management System",
         "Finance Shared Service Centre", "Supplier Master Data Clean-up", "Fixed Asset Register Rebuild",
         "Payroll Integration", "Management Reporting Pack Automation", "E-invoicing Compliance"),
    ),
    ProgrammeTheme(
        "Estates & Facilities", "EST", "Estates",
        "A smaller, greener estate that fits hybrid working.",
        ("Head Office Refurbishment", "Smart Building Sensors", "Desk Booking System", "Depot Consolidation",
         "LED Lighting Retrofit", "Solar Panels on Depots", "Fleet Electrification Phase 1",
         "Meeting Room AV Upgrade", "Facilities Helpdesk Replacement", "Regional Hub Fit-out",
         "Building Management System Upgrade", "Net Zero Heat Decarbonisation"),
    ),
    ProgrammeTheme(
        "Regulatory Compliance", "REG", "Legal & Compliance",
        "Meet new regulatory obligations on time and evidence them.",
        ("Consumer Duty Implementation", "Data Retention Policy Enforcement", "GDPR Subject Access Automation",
         "Operational Resilience Mapping", "Anti-Money Laundering Screening", "Cyber Essentials Plus",
         "Accessibility Regulations Audit", "Records Management Migration", "Whistleblowing Platform",
         "Third-party Risk Register", "PCI DSS v4 Remediation", "Modern Slavery Reporting"),
    ),
    ProgrammeTheme(
        "Data Platform", "DAT", "IT",
        "One governed data platform that every report and model reads from.",
        ("Cloud Data Warehouse", "Master Data Management", "Data Catalogue Rollout", "Self-service BI",
         "Legacy Reporting Decommission", "Customer Single View", "Data Quality Monitoring",
         "Streaming Ingestion Pipeline", "Analytics Sandbox", "Data Governance Framework",
         "Machine Learning Platform Pilot", "Operational Data Store"),
    ),
    ProgrammeTheme(
        "People & Culture", "PPL", "HR",
        "Modern HR services and a workplace people want to join.",
        ("HR System Replacement", "Learning Platform", "Recruitment Portal", "Hybrid Working Policy",
         "Performance Review Redesign", "Employee Wellbeing App", "Talent Mobility Marketplace"),
    ),
    ProgrammeTheme(
        "Cyber Security", "CYB", "IT",
        "Reduce the likelihood and impact of a cyber incident.",
        ("Zero Trust Network Access", "Privileged Access Management", "Security Operations Centre",
         "Endpoint Detection and Response", "Identity Governance", "Backup Immutability",
         "Email Security Upgrade"),
    ),
    ProgrammeTheme(
        "Workplace Technology", "WPT", "IT",
        "Reliable, modern tools for every colleague.",
        ("Laptop Refresh", "Office 365 Tenant Consolidation", "Windows 11 Upgrade", "Print Estate Reduction",
         "Service Desk Tooling", "Network Refresh", "Collaboration Hub"),
    ),
)

PHASE_SUFFIXES = ("", " Phase 2", " Phase 3", " – North", " – South", " Extension", " Wave 2", " Pilot")

DEPARTMENTS = ("Operations", "Finance", "IT", "Customer Services", "HR", "Legal & Compliance", "Estates",
               "Marketing", "Procurement")

SPONSORS = ("Helen Marsh", "Rajesh Patel", "Claire Donnelly", "Mark Fenwick", "Anita Kowalski",
            "Graham Holt", "Sophie Tranter", "David Okafor", "Louise Bramley", "Peter Quinn",
            "Fiona McLeod", "Tom Ashworth")

FIRST_NAMES = ("Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah", "Emily",
               "Charlie", "Grace", "Thomas", "Sophia", "Jacob", "Lily", "James", "Freya", "William",
               "Ella", "Samuel", "Chloe", "Daniel", "Ruby", "Joseph", "Evie", "Adam", "Zara", "Ethan",
               "Hannah", "Mohammed", "Aisha", "Ravi", "Priya", "Kwame", "Ama", "Liam", "Niamh", "Owen",
               "Cerys", "Callum", "Eilidh", "Lukasz", "Agnieszka", "Tariq", "Fatima", "Chen", "Mei",
               "Ben", "Rachel", "Matthew", "Laura", "Andrew", "Sarah", "Stephen", "Emma", "Paul", "Kate",
               "Simon", "Joanne", "Nathan", "Holly", "Ryan", "Megan", "Luke", "Abigail", "Dylan", "Imogen",
               "Kieran", "Naomi")

LAST_NAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
              "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
              "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper",
              "Ward", "Morris", "King", "Harris", "Baker", "Lewis", "Mitchell", "Shah", "Ahmed", "Begum",
              "Nowak", "Murphy", "Kelly", "Campbell", "Stewart", "MacDonald", "Reid", "Ali", "Okoye",
              "Mensah", "Chowdhury", "Singh", "Kaur", "Lee", "Wong", "Fraser", "Barker", "Holmes",
              "Gallagher", "Doyle", "Pearson", "Bennett", "Price", "Lloyd", "Parry", "Rees", "Owen", "Quinn")


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """A job role: share of headcount, team, hourly cost rate range and typical skills."""

    name: str
    share: float
    team: str
    rate: tuple[int, int]
    skills: tuple[str, ...]


ROLES: tuple[RoleSpec, ...] = (
    RoleSpec("Project Manager", 0.15, "PMO & Delivery", (55, 85), ("PRINCE2", "Agile delivery", "Stakeholder management", "Budget control")),
    RoleSpec("Business Analyst", 0.13, "Business Change", (45, 70), ("Requirements", "Process mapping", "Stakeholder management", "SQL")),
    RoleSpec("Developer", 0.20, "Digital Engineering", (50, 90), ("Python", "C#", "JavaScript", "Azure", "SQL", "Integration")),
    RoleSpec("Tester", 0.11, "Quality Engineering", (40, 65), ("Test automation", "Performance testing", "Accessibility", "SQL")),
    RoleSpec("Architect", 0.06, "Enterprise Architecture", (80, 120), ("Azure", "Integration", "Security", "Data modelling")),
    RoleSpec("Data Analyst", 0.09, "Data & Insight", (45, 70), ("SQL", "Power BI", "Python", "Data modelling")),
    RoleSpec("Change Manager", 0.06, "Business Change", (50, 75), ("Change management", "Training design", "Stakeholder management")),
    RoleSpec("UX Designer", 0.06, "Digital Engineering", (50, 80), ("User research", "Interaction design", "Accessibility")),
    RoleSpec("Scrum Master", 0.06, "Digital Engineering", (50, 75), ("Agile delivery", "Kanban", "Coaching")),
    RoleSpec("Infrastructure Engineer", 0.05, "Infrastructure & Cloud", (50, 85), ("Azure", "Networking", "Security", "Linux")),
    RoleSpec("PMO Analyst", 0.03, "PMO & Delivery", (35, 50), ("Planning", "Reporting", "Budget control", "Power BI")),
)

ABSENCE_REASONS = (("Annual leave", 0.6), ("Training", 0.2), ("Sickness", 0.12), ("Parental leave", 0.03),
                   ("Conference", 0.05))

RAID_CATEGORIES = ("Supplier", "Technical", "Resourcing", "Financial", "Regulatory", "Schedule", "Scope",
                   "Security", "Stakeholder", "Data", "Governance")


@dataclass(frozen=True, slots=True)
class RaidTemplate:
    """A RAID entry that can be written for many projects ({project} and {other} are filled in)."""

    kind: str
    category: str
    title: str
    description: str
    mitigation: str


RAID_TEMPLATES: tuple[RaidTemplate, ...] = (
    RaidTemplate("risk", "Resourcing", "Key SME availability during testing",
                 "Subject-matter experts for {project} are also needed for year-end; testing may slip.",
                 "Agree protected time with line managers; backfill via the flexible resource pool."),
    RaidTemplate("risk", "Technical", "Integration with legacy system more complex than estimated",
                 "Interfaces to the legacy platform are poorly documented and may need rework.",
                 "Run a technical spike; bring in the original vendor for two days of knowledge transfer."),
    RaidTemplate("risk", "Financial", "Contractor day rates rising above budget assumptions",
                 "Market rates for specialist contractors have risen around 12% since the business case.",
                 "Convert two contractor roles to permanent hires; review scope of phase 2."),
    RaidTemplate("risk", "Schedule", "Change freeze over year-end reduces release windows",
                 "The December change freeze leaves one release window before the planned go-live.",
                 "Bring release 2 forward; agree an exception process with the change advisory board."),
    RaidTemplate("risk", "Regulatory", "Regulator guidance may change requirements",
                 "Draft guidance expected this quarter could alter reporting requirements for {project}.",
                 "Legal to brief the team monthly; design the reporting layer to be configurable."),
    RaidTemplate("risk", "Security", "Penetration test findings delay go-live",
                 "High-severity findings would need fixing before the service can go live.",
                 "Book the penetration test early; reserve a remediation sprint in the plan."),
    RaidTemplate("risk", "Stakeholder", "Low adoption by frontline teams",
                 "Frontline teams were not consulted on the new process and may keep using workarounds.",
                 "Appoint change champions in each region; run show-and-tells before rollout."),
    RaidTemplate("risk", "Data", "Poor source data quality affects migration",
                 "Profiling found duplicate and incomplete records in the source system.",
                 "Data cleansing sprint with business owners; agree acceptance thresholds."),
    RaidTemplate("risk", "Scope", "Scope creep from additional business requests",
                 "Stakeholders continue to raise new requirements after the baseline was agreed.",
                 "Enforce change control; park new requests for phase 2 backlog."),
    RaidTemplate("issue", "Technical", "Test environment unavailable",
                 "The shared test environment has been down for several days, blocking system testing.",
                 "Escalated to infrastructure; temporary environment requested in the cloud tenancy."),
    RaidTemplate("issue", "Resourcing", "Lead developer resigned",
                 "The lead developer leaves at the end of the month; knowledge transfer is incomplete.",
                 "Handover sessions booked; interim cover from the digital engineering team."),
    RaidTemplate("issue", "Supplier", "Supplier deliverable late",
                 "The supplier missed the contracted date for the interface specification.",
                 "Formal notice issued; weekly supplier review with commercial team."),
    RaidTemplate("issue", "Financial", "Spend ahead of profile",
                 "Actual spend is running ahead of the approved budget profile for this quarter.",
                 "Re-profile with finance business partner; pause non-essential purchases."),
    RaidTemplate("issue", "Governance", "Design authority decision outstanding",
                 "The design authority has not yet ruled on the hosting option for {project}.",
                 "Paper tabled for the next design authority; sponsor to chase chair."),
    RaidTemplate("assumption", "Financial", "Funding for phase 2 will be confirmed in the budget round",
                 "Phase 2 of {project} relies on capital funding in next year's budget round.",
                 "Finance to confirm position by the end of Q3."),
    RaidTemplate("assumption", "Resourcing", "Business users available two days a week for UAT",
                 "The plan assumes two days per week of business user time during acceptance testing.",
                 "Line managers have agreed in principle; confirm named testers."),
    RaidTemplate("assumption", "Technical", "Existing licences cover the new users",
                 "The enterprise agreement is assumed to cover the additional users without extra cost.",
                 "Procurement to confirm with the licensing partner."),
    RaidTemplate("assumption", "Regulatory", "No new regulatory requirements before go-live",
                 "Requirements are frozen on the current regulatory position.",
                 "Compliance team to flag any consultation that affects scope."),
    RaidTemplate("dependency", "Technical", "Needs the data platform ingestion service",
                 "{project} consumes data via the ingestion service delivered by {other}.",
                 "Joint planning session monthly; interface contract agreed."),
    RaidTemplate("dependency", "Schedule", "Go-live depends on network refresh at regional sites",
                 "Sites must be on the new network (delivered by {other}) before rollout.",
                 "Site readiness tracker shared between the two projects."),
    RaidTemplate("dependency", "Technical", "Single sign-on from the identity project",
                 "Users sign in through the identity service that {other} is delivering.",
                 "Fallback to local accounts agreed for the pilot if needed."),
)


@dataclass(frozen=True, slots=True)
class RecurringRisk:
    """A risk that shows up across several projects: the cross-project pattern a PMO looks for."""

    title: str
    category: str
    description: str
    mitigation: str
    share: float  # fraction of active projects that carry it (at least six at any scale)
    severe: bool  # placed in the red corner of the 5x5 matrix


RECURRING_RISKS: tuple[RecurringRisk, ...] = (
    RecurringRisk("Northwind Systems may not deliver on time",
                  "Supplier",
                  "Northwind Systems is behind on several contracts and has lost key staff; {project} "
                  "depends on their integration team.",
                  "Commercial escalation to Northwind Systems account director; identify an alternative supplier.",
                  0.12, True),
    RecurringRisk("Contoso Cloud hosting contract renewal",
                  "Supplier",
                  "The Contoso Cloud hosting contract ends next year; {project} is hosted there.",
                  "Procurement to start the renewal early; consider a competitive tender.",
                  0.07, False),
    RecurringRisk("Shortage of experienced data engineers",
                  "Resourcing",
                  "Data engineers are shared across the portfolio and {project} competes for the same people.",
                  "Portfolio board to prioritise; framework supplier call-off for two engineers.",
                  0.08, False),
    RecurringRisk("Pay award increases delivery costs",
                  "Financial",
                  "The pending pay award may raise staff costs above the approved budget for {project}.",
                  "Hold contingency centrally; re-forecast once the award is confirmed.",
                  0.06, False),
)

STATUS_SUMMARY = {
    "G": ("On track against the baseline plan; no exceptions to report.",
          "Progressing well: deliverables on schedule and spend within profile.",
          "Good month; {milestone} work is progressing to plan.",
          "All workstreams green; stakeholders engaged and supportive."),
    "A": ("Some slippage on {milestone}; recovery plan in place and being tracked weekly.",
          "Spend slightly ahead of profile; forecast reviewed with finance.",
          "Resourcing gaps in testing are putting pressure on the schedule.",
          "Supplier dependency is at risk; mitigation agreed with the sponsor."),
    "R": ("{milestone} will be missed; re-plan needed and exception report to the board.",
          "Forecast now exceeds tolerance; change request for additional funding raised.",
          "Critical supplier issue is blocking delivery; escalated to programme board.",
          "Key resources lost; the current plan is not achievable without intervention."),
}

ACHIEVEMENTS = ("Completed sprint {n} and demoed to stakeholders.", "Signed off the {milestone} deliverables.",
                "Supplier contract variation agreed.", "Data migration rehearsal {n} completed successfully.",
                "User acceptance testing started with {n} business testers.", "Training materials drafted.",
                "Design authority approved the solution architecture.", "Pilot site live with positive feedback.",
                "Procurement evaluation completed.", "Risk workshop held with the supplier.",
                "Benefits baseline agreed with finance.", "Recruited {n} additional testers.")

NEXT_STEPS = ("Prepare for {milestone}.", "Run sprint {n} planning and refine the backlog.",
              "Complete regression testing and defect triage.", "Finalise the cut-over plan.",
              "Present change request to the programme board.", "Confirm training dates with business leads.",
              "Close down supplier actions from the last review.", "Agree go/no-go criteria with the sponsor.",
              "Update the benefits realisation plan.", "Re-baseline the plan after the change request.")

PIPELINE_SUMMARY = ("Business case in preparation; options appraisal under way.",
                    "Awaiting investment committee slot.", "Mobilising: recruiting the project team.",
                    "Discovery work scoping the problem with the business owner.")

PIPELINE_ACHIEVEMENTS = ("Options workshop held with stakeholders.", "Outline costs agreed with finance.",
                         "Sponsor confirmed.", "Market engagement with three suppliers.")

PIPELINE_NEXT_STEPS = ("Submit the business case to the next gate.", "Complete the benefits profile.",
                       "Confirm the project manager and core team.", "Agree the procurement route.")

STOPPED_SUMMARY = {
    "closed": "Closed; benefits are being tracked by the business owner.",
    "cancelled": "Cancelled; no further spend.",
    "on_hold": "On hold; no delivery activity this period.",
    "closing": "Closing; final handover actions only.",
}

ISSUE_LINES = ("Test environment instability.", "Awaiting design authority decision.",
               "Supplier response times slow.", "Two testers off sick.", "Budget transfer not yet approved.",
               "Data quality defects above threshold.")

CONDITIONS = ("Update the benefits profile and resubmit to finance.", "Confirm named business testers.",
              "Agree the support model with the service desk before go-live.",
              "Complete the data protection impact assessment.", "Provide a resource plan for phase 2.",
              "Secure the security architect's sign-off.", "Re-baseline the plan within one month.",
              "Close the open high-severity defects.", "Confirm the supplier exit plan.")

EVIDENCE_DOCS = {
    "Business case": "Business Case v{v}.docx", "Benefits plan": "Benefits Plan v{v}.xlsx",
    "Risk register started": "RAID Log.xlsx", "Risk register reviewed": "RAID Log.xlsx",
    "Baseline plan": "Project Plan baseline v{v}.mpp", "Resource plan": "Resource Plan v{v}.xlsx",
    "Lessons learned": "Lessons Learned Report.docx", "Benefits realisation plan": "Benefits Realisation Plan.docx",
    "Budget approved": "Investment Committee minutes.pdf", "Project initiation document": "PID v{v}.docx",
}

EXTRA_MILESTONES = ("Supplier contract signed", "Data migration rehearsal", "Pilot live", "Training delivered",
                    "Security accreditation", "Cut-over complete", "Benefits review", "Stakeholder sign-off")

PROJECT_DESCRIPTIONS = (
    "{name} for the {programme} programme: replaces manual workarounds and reduces cost to serve.",
    "Delivers {name} to meet the {programme} objectives and improve service for {department}.",
    "{name}: {methodology} delivery sponsored by {sponsor} to modernise {department} processes.",
    "Part of {programme}; {name} removes a legacy dependency and enables the next wave of change.",
)

SCENARIOS = (("Base plan", "All proposals and mobilising projects ranked by strategic score within the "
              "approved capital envelope.", 1.0),
             ("Savings case (-15%)", "The same pipeline under a 15% lower budget cap; regulatory work pinned.",
              0.85))
