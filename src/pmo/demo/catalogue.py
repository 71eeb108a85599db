"""Static material of the demo: organisations, WBS templates by project type, names, texts.

Nothing here is random; ``generate`` draws from these lists with a seeded generator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------
# Disciplines: each work task needs one; each is a skill and a kind of person in the pool.

DISCIPLINES: dict[str, str] = {
    "pm": "Project management",
    "ba": "Business analysis",
    "arch": "Solution architecture",
    "dev": "Software development",
    "test": "Testing and quality assurance",
    "infra": "Infrastructure and networks",
    "data": "Data engineering",
    "train": "Training and change management",
    "site": "Site management",
    "civil": "Civil and structural engineering",
    "mep": "Mechanical, electrical and plumbing",
    "design": "Architectural design",
    "qs": "Quantity surveying",
    "mkt": "Marketing",
    "prod": "Product management",
    "scm": "Supply chain and logistics",
    "comp": "Regulatory compliance",
    "sec": "Cyber security",
    "fin": "Finance and controlling",
    "legal": "Contracts and legal",
}

# How many people of each discipline each organisation has (38 in all).
PEOPLE_MIX: dict[str, int] = {
    "pm": 3, "ba": 3, "arch": 2, "dev": 4, "test": 2, "infra": 2, "data": 2, "train": 2,
    "site": 2, "civil": 2, "mep": 2, "design": 1, "qs": 1, "mkt": 2, "prod": 2, "scm": 2,
    "comp": 2, "sec": 1, "fin": 1,
}  # fmt: skip

# Hourly rates (in the organisation's currency, before the country factor) by discipline.
HOURLY_RATE: dict[str, int] = {
    "pm": 95, "ba": 80, "arch": 115, "dev": 85, "test": 70, "infra": 80, "data": 90,
    "train": 65, "site": 75, "civil": 85, "mep": 70, "design": 90, "qs": 80, "mkt": 75,
    "prod": 95, "scm": 70, "comp": 90, "sec": 110, "fin": 85, "legal": 130,
}  # fmt: skip

# Generic roles (pools) and equipment: (name, discipline, max units, hourly rate).
ROLES: list[tuple[str, str, str, int]] = [
    ("Contract developers", "dev", "5.00", 75),
    ("Test analysts", "test", "4.00", 60),
    ("Construction crew", "site", "12.00", 45),
    ("Electricians", "mep", "4.00", 55),
    ("Trainers", "train", "3.00", 55),
    ("Marketing agency", "mkt", "3.00", 90),
    ("Data migration specialists", "data", "3.00", 85),
]
EQUIPMENT: list[tuple[str, str, str, int, int]] = [
    # name, discipline, max units, hourly rate, cost per use
    ("Tower crane", "site", "1.00", 120, 2500),
    ("Excavator", "civil", "2.00", 65, 400),
    ("Mobile elevating work platform", "mep", "2.00", 25, 150),
    ("Performance test rig", "test", "1.00", 30, 0),
    ("Training room and laptops", "train", "1.00", 20, 100),
]


# ---------------------------------------------------------------------------------------
# WBS templates


@dataclass(frozen=True)
class T:
    """A work task: nominal duration in days, discipline; ``lag_after`` forces the next link."""

    name: str
    days: float
    disc: str
    lag_after: tuple[int, str] | None = None  # (minutes, lag unit)


@dataclass(frozen=True)
class M:
    """A milestone."""

    name: str


@dataclass(frozen=True)
class S:
    """A summary task; ``after`` names the earlier top-level group it follows."""

    name: str
    children: tuple[T | M, ...]
    after: str | None = None


@dataclass(frozen=True)
class B:
    """A summary repeated for each unit (site, level, module, market, wave)."""

    name: str
    unit_name: str  # format with {unit}
    children: tuple[T | M, ...]
    stagger_days: tuple[int, int]  # each unit starts this many days after the previous one
    after: str | None = None


@dataclass(frozen=True)
class ProjectType:
    key: str
    label: str
    groups: tuple[S | B, ...]
    extras: tuple[T, ...]
    unit_kind: str  # which list of units the repeated block takes: sites, levels, ...
    material_factor: float  # fixed costs as a share of labour
    services_factor: float
    risks: tuple[tuple[str, str, str], ...]  # (title, category, response plan)

    def count_base(self) -> int:
        return sum(_count(g) for g in self.groups)

    def block(self) -> B:
        return next(g for g in self.groups if isinstance(g, B))


def _count(node: S | B) -> int:
    if isinstance(node, S):
        return 1 + len(node.children)
    return 1  # the container of a repeated block; its units are counted by the generator


FS_ELAPSED_CURING = (7 * 1440, "elapsed")

IT_ROLLOUT = ProjectType(
    key="it_rollout",
    label="IT system rollout",
    unit_kind="sites",
    material_factor=0.25,
    services_factor=0.45,
    groups=(
        S(
            "Project management",
            (
                T("Project kick-off", 1, "pm"),
                M("Project charter approved"),
                T("Stakeholder analysis and communication plan", 3, "pm"),
                T("Set up project controls and reporting", 2, "pm"),
            ),
        ),
        S(
            "Requirements and design",
            (
                T("Current-state process workshops", 5, "ba"),
                T("Business requirements specification", 8, "ba"),
                T("Solution architecture", 6, "arch"),
                T("Integration design", 5, "arch"),
                T("Security and data protection assessment", 4, "sec"),
                M("Design signed off"),
            ),
        ),
        S(
            "Build and configure",
            (
                T("Provision environments", 4, "infra"),
                T("Core configuration", 10, "dev"),
                T("Develop interfaces", 12, "dev"),
                T("Reports and dashboards", 6, "dev"),
                T("Data migration scripts", 8, "data"),
                M("Build complete"),
            ),
        ),
        S(
            "Testing",
            (
                T("System integration testing", 10, "test"),
                T("Performance testing", 5, "test"),
                T("User acceptance testing", 8, "test"),
                T("Defect resolution", 6, "dev"),
                M("UAT signed off"),
            ),
        ),
        B(
            "Deployment",
            "{unit} deployment",
            (
                T("Site readiness survey", 2, "infra"),
                T("Install hardware", 3, "infra"),
                T("Network and peripherals check", 1, "infra"),
                T("Data load and reconciliation", 2, "data"),
                T("Key-user training", 3, "train"),
                T("End-user training", 4, "train"),
                M("Go-live"),
                T("Hypercare", 5, "dev"),
                M("Site handed over to support"),
            ),
            stagger_days=(4, 9),
        ),
        S(
            "Closure",
            (
                T("Transition to business-as-usual support", 3, "pm"),
                T("Lessons learned workshop", 1, "pm"),
                T("Project closure report", 2, "pm"),
                M("Project closed"),
            ),
        ),
    ),
    extras=(
        T("Update user documentation", 3, "train"),
        T("Review access rights", 2, "sec"),
        T("Configure monitoring alerts", 2, "infra"),
        T("Archive legacy reports", 2, "data"),
        T("Accessibility review", 2, "test"),
        T("Penetration test remediation", 4, "sec"),
        T("Translate training material", 3, "train"),
        T("Prepare support knowledge base", 3, "train"),
        T("Licence usage review", 1, "fin"),
        T("Printer and scanner mapping", 2, "infra"),
        T("Disaster recovery test", 2, "infra"),
        T("Data quality checks", 3, "data"),
        T("Service level agreement drafting", 2, "legal"),
        T("Backlog grooming", 1, "ba"),
        T("Benefits tracking set-up", 2, "fin"),
    ),
    risks=(
        ("Key users unavailable for UAT", "Resources", "Agree UAT calendar with line managers"),
        ("Interface partner delivers late", "Supplier", "Weekly supplier call; stub interfaces"),
        ("Store network bandwidth insufficient", "Technical", "Bandwidth survey per site"),
        ("Data quality of legacy system poor", "Data", "Early profiling and cleansing sprint"),
        ("Resistance to new way of working", "Change", "Change champions in each site"),
        ("Hardware delivery delayed by shortages", "Supplier", "Order early; buffer stock"),
        ("Security review finds critical issues", "Security", "Early threat modelling"),
    ),
)

CONSTRUCTION = ProjectType(
    key="construction",
    label="Construction",
    unit_kind="levels",
    material_factor=5.5,
    services_factor=0.35,
    groups=(
        S(
            "Pre-construction",
            (
                T("Feasibility study", 10, "design"),
                T("Planning application", 5, "design"),
                M("Planning permission granted"),
                T("Detailed design", 20, "design"),
                T("Tender and contractor selection", 15, "qs"),
                M("Contract awarded"),
            ),
        ),
        S(
            "Site preparation",
            (
                T("Site mobilisation", 5, "site"),
                T("Demolition and clearance", 10, "site"),
                T("Excavation", 12, "civil"),
                T("Utilities diversion", 8, "mep"),
            ),
        ),
        S(
            "Substructure",
            (
                T("Piling", 15, "civil"),
                T("Foundations", 12, "civil"),
                T("Ground-floor slab", 8, "civil", lag_after=FS_ELAPSED_CURING),
                M("Substructure complete"),
            ),
        ),
        B(
            "Superstructure",
            "{unit}",
            (
                T("Columns and cores", 6, "civil"),
                T("Floor slab pour", 3, "civil", lag_after=FS_ELAPSED_CURING),
                T("Strike formwork", 2, "site"),
                T("Façade panels", 6, "site"),
                T("Windows and glazing", 4, "site"),
                T("First-fix mechanical and electrical", 8, "mep"),
                T("Partitions and drylining", 6, "site"),
                T("Second-fix mechanical and electrical", 6, "mep"),
                T("Finishes and decoration", 7, "site"),
                M("Level inspected"),
            ),
            stagger_days=(8, 14),
        ),
        S(
            "Envelope",
            (
                T("Roof structure", 10, "civil"),
                T("Roof covering", 8, "site"),
                M("Building watertight"),
            ),
        ),
        S(
            "Services and commissioning",
            (
                T("HVAC installation", 20, "mep"),
                T("Lifts installation", 15, "mep"),
                T("Fire alarm and sprinklers", 12, "mep"),
                T("Testing and commissioning", 10, "mep"),
            ),
            after="Envelope",
        ),
        S(
            "External works",
            (
                T("Drainage", 8, "civil"),
                T("Landscaping", 10, "site"),
                T("Car park and access roads", 12, "civil"),
            ),
            after="Envelope",
        ),
        S(
            "Handover",
            (
                T("Snagging", 8, "site"),
                M("Completion certificate issued"),
                T("Operation and maintenance manuals", 5, "qs"),
                M("Practical completion"),
            ),
        ),
    ),
    extras=(
        T("Asbestos survey", 3, "site"),
        T("Traffic management plan", 2, "site"),
        T("Crane base design", 4, "civil"),
        T("Hoarding and site security", 3, "site"),
        T("Temporary power supply", 2, "mep"),
        T("Structural survey of party walls", 3, "civil"),
        T("Valuation and interim payment", 1, "qs"),
        T("Health and safety file update", 2, "site"),
        T("Signage installation", 2, "site"),
        T("Water and gas connections", 4, "mep"),
        T("Energy performance certificate", 2, "design"),
        T("Acoustic testing", 2, "mep"),
        T("Final account", 5, "qs"),
        T("BIM model update", 3, "design"),
        T("Neighbour liaison meetings", 1, "pm"),
    ),
    risks=(
        ("Ground conditions worse than surveyed", "Technical", "Additional boreholes"),
        ("Planning conditions delay start", "Regulatory", "Pre-application meetings"),
        ("Steel price inflation", "Commercial", "Fix prices with early orders"),
        ("Adverse weather during envelope works", "Environmental", "Weather float"),
        ("Subcontractor insolvency", "Supplier", "Financial checks; parent guarantees"),
        ("Utility connection delayed by provider", "Supplier", "Apply early; escalate"),
        ("Site accident", "Health and safety", "Daily briefings; audits"),
    ),
)

PRODUCT_LAUNCH = ProjectType(
    key="product_launch",
    label="Product launch",
    unit_kind="markets",
    material_factor=0.6,
    services_factor=0.8,
    groups=(
        S(
            "Discovery",
            (
                T("Market research", 8, "mkt"),
                T("Customer interviews", 6, "prod"),
                T("Competitive analysis", 4, "mkt"),
                T("Business case", 5, "fin"),
                M("Business case approved"),
            ),
        ),
        S(
            "Product development",
            (
                T("Product requirements", 6, "prod"),
                T("Prototype", 15, "prod"),
                T("Design review", 2, "prod"),
                T("Supplier sourcing", 10, "scm"),
                T("Pilot production run", 8, "scm"),
                T("Quality certification", 10, "comp"),
                M("Product ready"),
            ),
        ),
        S(
            "Go-to-market",
            (
                T("Pricing strategy", 4, "fin"),
                T("Brand and packaging design", 10, "mkt"),
                T("Launch campaign creative", 12, "mkt"),
                T("Sales enablement kit", 6, "mkt"),
                T("E-commerce product pages", 5, "dev"),
            ),
            after="Discovery",
        ),
        B(
            "Market launches",
            "Launch in {unit}",
            (
                T("Regulatory labelling check", 3, "comp"),
                T("Distributor agreements", 8, "legal"),
                T("Local marketing plan", 4, "mkt"),
                T("Stock allocation and shipping", 6, "scm"),
                T("Retail merchandising", 3, "mkt"),
                T("Sales team training", 2, "train"),
                T("Launch event", 1, "mkt"),
                M("Market launched"),
            ),
            stagger_days=(3, 8),
        ),
        S(
            "Post-launch",
            (
                T("Sales performance review", 3, "fin"),
                T("Customer feedback analysis", 4, "prod"),
                T("Launch retrospective", 1, "pm"),
                M("Launch closed"),
            ),
        ),
    ),
    extras=(
        T("Influencer partnerships", 4, "mkt"),
        T("Trademark registration", 3, "legal"),
        T("Packaging sustainability review", 2, "scm"),
        T("Customer service scripts", 2, "train"),
        T("Photo shoot", 2, "mkt"),
        T("Social media calendar", 2, "mkt"),
        T("Allergen and safety testing", 4, "comp"),
        T("Returns process set-up", 2, "scm"),
        T("Press kit", 2, "mkt"),
        T("Promotional pricing approval", 1, "fin"),
        T("Point-of-sale displays", 3, "mkt"),
        T("Demand forecast", 3, "scm"),
        T("Warranty terms", 2, "legal"),
        T("Loyalty programme offer", 2, "mkt"),
        T("Competitor response plan", 1, "prod"),
    ),
    risks=(
        ("Competitor launches first", "Market", "Accelerate key markets"),
        ("Certification fails first attempt", "Regulatory", "Pre-certification review"),
        ("Supplier capacity insufficient", "Supplier", "Second source qualified"),
        ("Campaign misses target audience", "Market", "Test creative with panels"),
        ("Currency swing erodes margin", "Financial", "Hedge launch volumes"),
        ("Packaging regulation changes", "Regulatory", "Monitor EU and national rules"),
    ),
)

ERP_MIGRATION = ProjectType(
    key="erp_migration",
    label="ERP migration",
    unit_kind="modules",
    material_factor=0.15,
    services_factor=0.7,
    groups=(
        S(
            "Mobilisation",
            (
                T("Set up steering committee", 2, "pm"),
                T("Project charter", 3, "pm"),
                T("Onboard solution partner", 5, "legal"),
                M("Mobilisation complete"),
            ),
        ),
        S(
            "Global design",
            (
                T("Enterprise structure design", 6, "arch"),
                T("Chart of accounts redesign", 8, "fin"),
                T("Master data governance model", 5, "data"),
                T("Integration architecture", 6, "arch"),
                M("Global design signed off"),
            ),
        ),
        B(
            "Module build",
            "{unit}",
            (
                T("Fit-gap analysis", 5, "ba"),
                T("Functional specification", 6, "ba"),
                T("Configuration", 10, "dev"),
                T("Custom developments", 8, "dev"),
                T("Unit testing", 4, "test"),
                T("Key-user validation", 3, "ba"),
                M("Module ready for integration testing"),
            ),
            stagger_days=(3, 7),
        ),
        S(
            "Data migration",
            (
                T("Data cleansing", 15, "data"),
                T("Extraction and mapping", 10, "data"),
                T("Mock load 1", 4, "data"),
                T("Mock load 2", 4, "data"),
                T("Dress rehearsal", 3, "data"),
            ),
            after="Global design",
        ),
        S(
            "Testing",
            (
                T("Integration test cycle 1", 10, "test"),
                T("Integration test cycle 2", 8, "test"),
                T("User acceptance testing", 10, "test"),
                T("Performance and security testing", 5, "sec"),
                M("Go/no-go decision"),
            ),
        ),
        S(
            "Cut-over",
            (
                T("Cut-over plan", 4, "pm"),
                T("Freeze legacy system", 1, "infra"),
                T("Final data migration", 3, "data"),
                M("Go-live"),
                T("Hypercare", 15, "dev"),
                T("Decommission legacy system", 10, "infra"),
                M("Project closed"),
            ),
        ),
    ),
    extras=(
        T("Segregation of duties review", 3, "sec"),
        T("Role mapping", 3, "ba"),
        T("Training needs analysis", 2, "train"),
        T("Print forms and layouts", 4, "dev"),
        T("Archive historic transactions", 3, "data"),
        T("Tax engine configuration", 4, "fin"),
        T("Bank interface certification", 3, "dev"),
        T("Authorisation concept", 4, "sec"),
        T("Business process documentation", 4, "ba"),
        T("Period-end close rehearsal", 2, "fin"),
        T("Job scheduling set-up", 2, "infra"),
        T("Reconciliation reports", 3, "fin"),
        T("Super-user network", 2, "train"),
        T("Batch interface monitoring", 2, "infra"),
        T("Licence true-up", 1, "legal"),
    ),
    risks=(
        ("Scope creep from business units", "Scope", "Design authority; change control"),
        ("Partner consultants rotated off", "Resources", "Named key staff in contract"),
        ("Data migration reconciliation fails", "Data", "Three mock loads; sign-offs"),
        ("Year-end close clashes with go-live", "Schedule", "Go-live outside close window"),
        ("Custom code volume above estimate", "Technical", "Fit-to-standard workshops"),
        ("Key-user fatigue", "Change", "Backfill key users"),
        ("Legacy vendor support ends early", "Supplier", "Negotiate extension"),
    ),
)

CLOUD_MIGRATION = ProjectType(
    key="cloud_migration",
    label="Cloud migration",
    unit_kind="waves",
    material_factor=0.1,
    services_factor=0.6,
    groups=(
        S(
            "Assessment",
            (
                T("Application inventory", 6, "arch"),
                T("Dependency mapping", 8, "infra"),
                T("Migration strategy per application", 5, "arch"),
                T("Landing zone design", 6, "arch"),
                M("Assessment complete"),
            ),
        ),
        S(
            "Foundation",
            (
                T("Build landing zone", 10, "infra"),
                T("Network connectivity", 8, "infra"),
                T("Identity and access management", 6, "sec"),
                T("Security baseline and monitoring", 6, "sec"),
                T("Backup and disaster recovery", 5, "infra"),
                M("Foundation ready"),
            ),
        ),
        B(
            "Migration waves",
            "{unit}",
            (
                T("Wave planning", 2, "pm"),
                T("Replicate servers", 5, "infra"),
                T("Refactor configuration", 6, "dev"),
                T("Application testing", 4, "test"),
                T("Cut-over weekend", 2, "infra"),
                T("Post-migration validation", 2, "test"),
                M("Wave complete"),
            ),
            stagger_days=(5, 10),
        ),
        S(
            "Optimisation and closure",
            (
                T("Cost optimisation review", 5, "fin"),
                T("Decommission data centre hardware", 10, "infra"),
                T("Update runbooks", 4, "infra"),
                M("Migration closed"),
            ),
        ),
    ),
    extras=(
        T("Tagging policy", 2, "infra"),
        T("Reserved capacity purchase", 1, "fin"),
        T("Cost dashboards", 3, "data"),
        T("Secrets management", 3, "sec"),
        T("Container platform set-up", 5, "infra"),
        T("DNS migration", 2, "infra"),
        T("Certificate renewal automation", 2, "sec"),
        T("Log retention policy", 1, "comp"),
        T("Chaos testing", 3, "test"),
        T("Operations handover training", 2, "train"),
        T("Firewall rule review", 2, "sec"),
        T("Database version upgrade", 4, "data"),
        T("Exit plan for provider", 2, "legal"),
        T("Patch management", 2, "infra"),
        T("Capacity planning", 2, "arch"),
    ),
    risks=(
        ("Hidden dependencies between applications", "Technical", "Traffic analysis"),
        ("Cloud costs exceed business case", "Financial", "FinOps reviews each wave"),
        ("Licensing not portable to cloud", "Commercial", "Licence audit in assessment"),
        ("Skills gap in operations team", "Resources", "Certification programme"),
        ("Data residency constraints", "Regulatory", "Region selection reviewed by DPO"),
        ("Cut-over window overruns", "Schedule", "Rehearse; rollback plan"),
    ),
)

COMPLIANCE = ProjectType(
    key="compliance",
    label="Regulatory compliance",
    unit_kind="units",
    material_factor=0.05,
    services_factor=0.35,
    groups=(
        S(
            "Initiation",
            (
                T("Regulatory requirements analysis", 6, "comp"),
                T("Gap assessment", 8, "comp"),
                T("Compliance roadmap", 4, "pm"),
                M("Roadmap approved"),
            ),
        ),
        S(
            "Policies and controls",
            (
                T("Update policy framework", 8, "comp"),
                T("Control design", 10, "comp"),
                T("Risk and control matrix", 5, "comp"),
                T("Internal audit review of design", 4, "fin"),
            ),
        ),
        B(
            "Implementation",
            "{unit}",
            (
                T("Process mapping", 4, "ba"),
                T("Implement controls", 8, "comp"),
                T("Staff training", 3, "train"),
                T("Evidence collection", 3, "comp"),
                T("Readiness assessment", 2, "comp"),
                M("Unit compliant"),
            ),
            stagger_days=(3, 6),
        ),
        S(
            "Assurance",
            (
                T("Internal audit", 8, "fin"),
                T("Remediate audit findings", 10, "comp"),
                T("Regulator submission", 3, "legal"),
                M("Regulatory deadline met"),
            ),
        ),
        S(
            "Sustain",
            (
                T("Handover to compliance team", 3, "comp"),
                T("Continuous monitoring set-up", 5, "data"),
                M("Programme closed"),
            ),
        ),
    ),
    extras=(
        T("Data protection impact assessment", 4, "sec"),
        T("Records retention schedule", 3, "comp"),
        T("Whistle-blowing channel review", 2, "legal"),
        T("Third-party risk questionnaires", 4, "scm"),
        T("Board briefing pack", 2, "pm"),
        T("Control self-assessment tool", 3, "dev"),
        T("Key risk indicators", 2, "data"),
        T("Incident response playbook", 3, "sec"),
        T("E-learning module", 4, "train"),
        T("Policy attestation campaign", 2, "comp"),
        T("Regulatory change watch", 1, "legal"),
        T("Audit trail configuration", 2, "dev"),
        T("Evidence repository set-up", 2, "infra"),
        T("Supplier contract clauses", 3, "legal"),
        T("Management assurance letters", 1, "fin"),
    ),
    risks=(
        ("Regulator guidance published late", "Regulatory", "Follow consultation drafts"),
        ("Business units lack capacity", "Resources", "Central team does first units"),
        ("Evidence incomplete at audit", "Compliance", "Monthly evidence reviews"),
        ("Penalties for late compliance", "Financial", "Prioritise high-exposure units"),
        ("Tooling not ready for reporting", "Technical", "Spreadsheet fallback"),
    ),
)

PROJECT_TYPES: dict[str, ProjectType] = {
    t.key: t
    for t in (IT_ROLLOUT, CONSTRUCTION, PRODUCT_LAUNCH, ERP_MIGRATION, CLOUD_MIGRATION, COMPLIANCE)
}

ERP_MODULES = [
    "General ledger", "Accounts payable", "Accounts receivable", "Fixed assets", "Controlling",
    "Procurement", "Inventory management", "Sales and distribution", "Warehouse management",
    "Production planning", "Quality management", "Plant maintenance", "Human resources",
    "Payroll", "Treasury", "Project accounting",
]  # fmt: skip

GENERIC_RISKS: tuple[tuple[str, str, str], ...] = (
    ("Budget approval for next phase delayed", "Financial", "Early steering committee slot"),
    ("Sponsor attention diverted", "Governance", "Monthly sponsor one-to-one"),
    ("Key resource leaves the organisation", "Resources", "Knowledge transfer; deputies"),
    ("Dependencies on other projects slip", "Schedule", "Program-level dependency review"),
    ("Opportunity: reuse of components from sister project", "Opportunity", "Joint design"),
)

ISSUES: tuple[tuple[str, str], ...] = (
    ("Test environment unavailable for three days", "Infrastructure outage; tests re-planned"),
    ("Supplier invoice disputed", "Invoice exceeds purchase order; finance reviewing"),
    ("Key user on long-term sick leave", "Backfill requested from the business unit"),
    ("Scope of reporting unclear", "Workshop scheduled with the sponsor"),
    ("Delivery damaged in transit", "Replacement ordered; claim filed"),
    ("Access badges not issued to contractors", "Security office escalated"),
    ("Licence keys not received", "Vendor chased; temporary keys in use"),
    ("Interface error rate above threshold", "Root-cause analysis in progress"),
    ("Meeting room capacity insufficient for training", "Training split into two sessions"),
    ("Permit renewal pending", "Application submitted to the authority"),
    ("Defect backlog growing", "Extra developers for two sprints"),
    ("Budget code closed by finance", "New code requested for this fiscal year"),
)

CHANGES: tuple[tuple[str, str], ...] = (
    ("Add a reporting dashboard for executives", "One extra dashboard with drill-down"),
    ("Extend scope to two additional sites", "Two more deployment blocks"),
    ("Replace on-premise printers with cloud printing", "Printing service change"),
    ("Upgrade specification of façade glazing", "Higher thermal performance glazing"),
    ("Postpone go-live to avoid peak trading season", "Go-live moved by four weeks"),
    ("Include accessibility audit", "WCAG 2.2 AA audit and fixes"),
    ("Add multi-currency support", "Currency conversion in reports"),
    ("Reduce scope: drop legacy archive migration", "Archive kept read-only"),
)

DECISIONS: tuple[tuple[str, str], ...] = (
    ("Select implementation partner", "Best value in the tender evaluation"),
    ("Adopt agile delivery for build phase", "Faster feedback from key users"),
    ("Phase the rollout by region", "Limits the blast radius of problems"),
    ("Use standard processes wherever possible", "Lower cost of upgrades"),
    ("Approve contingency drawdown", "Covers approved change requests"),
    ("Keep legacy system read-only for two years", "Audit and legal retention"),
    ("Defer optional features to release 2", "Protects the go-live date"),
)

LESSONS: tuple[tuple[str, str, str, str], ...] = (
    # title, category, what happened, recommendation
    (
        "Involve key users from the start",
        "Stakeholders",
        "Key users joined only at UAT and raised many late changes.",
        "Name key users in the charter and free their time.",
    ),
    (
        "Book test environments early",
        "Planning",
        "Environments were shared with another project and tests waited.",
        "Reserve environments at plan approval.",
    ),
    (
        "Weather float was too small",
        "Schedule",
        "Envelope works lost twelve days to storms.",
        "Keep a weather float of 10% of external works.",
    ),
    (
        "Contract key staff by name",
        "Procurement",
        "The partner rotated its lead architect mid-project.",
        "Name key staff in the contract with replacement approval.",
    ),
    (
        "Rehearse the cut-over twice",
        "Delivery",
        "The first rehearsal found missing steps that would have stopped go-live.",
        "Plan two full dress rehearsals.",
    ),
    (
        "Track benefits from day one",
        "Benefits",
        "Baseline measures were missing when benefits were reviewed.",
        "Measure the baseline before the project starts.",
    ),
    (
        "Keep the risk register alive",
        "Risk",
        "The register was not reviewed for three months.",
        "Review risks in every status meeting.",
    ),
    (
        "Communicate changes to front-line staff",
        "Change",
        "Store staff learned of the change from customers.",
        "Brief staff one week before each go-live.",
    ),
    (
        "Order long-lead items at design freeze",
        "Procurement",
        "Lifts had a 26-week lead time and delayed handover.",
        "List long-lead items in the design phase.",
    ),
    (
        "Clean data before migration",
        "Data",
        "Duplicate suppliers caused payment errors after go-live.",
        "Run data cleansing as a separate workstream.",
    ),
)

STATUS_HIGHLIGHTS: dict[str, tuple[str, ...]] = {
    "green": (
        "All milestones this period were met.",
        "Work is on plan and within budget.",
        "Good progress; no escalations needed.",
    ),
    "amber": (
        "Two activities slipped by a week; recovery plan in place.",
        "Resource constraints in testing; mitigation agreed.",
        "Cost trend above plan; contingency being reviewed.",
    ),
    "red": (
        "Critical path slipped by three weeks; re-plan requested.",
        "Budget overrun forecast; change request raised.",
        "Key supplier late; escalated to the sponsor.",
    ),
}


# ---------------------------------------------------------------------------------------
# Organisations


@dataclass(frozen=True)
class UserSpec:
    key: str  # admin, portfolio, pm, delivery, team, exec
    first_name: str
    last_name: str
    role: str
    discipline: str | None = None  # also a person in the resource pool


@dataclass(frozen=True)
class ProgramSpec:
    code: str
    name: str
    description: str
    projects: tuple[tuple[str, str], ...]  # (project name, type key)


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name: str
    country: str
    currency: str
    domain: str
    portfolio: tuple[str, str, str]  # code, name, description
    programs: tuple[ProgramSpec, ...]
    standalone: tuple[tuple[str, str], ...]
    objectives: tuple[tuple[str, str, str | None], ...]  # code, name, parent code
    users: tuple[UserSpec, ...]
    sponsors: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    units: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rate_factor: float = 1.0
    site_calendar: bool = False  # a Monday-to-Saturday calendar for construction projects


def _users(names: list[tuple[str, str]]) -> tuple[UserSpec, ...]:
    keys = [
        ("admin", "pmo_admin", "pm"),
        ("portfolio", "portfolio_manager", None),
        ("pm", "project_manager", "pm"),
        ("delivery", "project_manager", "pm"),
        ("team", "team_member", "dev"),
        ("exec", "executive_viewer", None),
    ]
    return tuple(
        UserSpec(key, first, last, role, disc)
        for (key, role, disc), (first, last) in zip(keys, names, strict=True)
    )


ORGS: tuple[OrgSpec, ...] = (
    OrgSpec(
        code="lumiere",
        name="Lumière Retail Group",
        country="FR",
        currency="EUR",
        domain="lumiere-retail.example",
        portfolio=(
            "LRG-TRANS",
            "Transformation 2025–2027",
            "The group's change portfolio: stores, systems and private label.",
        ),
        programs=(
            ProgramSpec(
                "STORE",
                "Store of the Future",
                "Digital stores: checkout, shelf labels, click-and-collect.",
                (
                    ("Point-of-sale system rollout", "it_rollout"),
                    ("Electronic shelf labels rollout", "it_rollout"),
                    ("Click-and-collect lockers rollout", "it_rollout"),
                    ("Paris Opéra flagship refurbishment", "construction"),
                ),
            ),
            ProgramSpec(
                "ERP",
                "Core Systems Renewal",
                "Replace the ageing ERP and move the data centre to the cloud.",
                (
                    ("S/4HANA finance migration", "erp_migration"),
                    ("Supply chain ERP migration", "erp_migration"),
                    ("Data centre exit to cloud", "cloud_migration"),
                    ("HR and payroll system replacement", "erp_migration"),
                ),
            ),
            ProgramSpec(
                "BRAND",
                "Private Label Growth",
                "Grow the share of own-brand products.",
                (
                    ("Organic private label launch", "product_launch"),
                    ("Home fragrance range launch", "product_launch"),
                ),
            ),
        ),
        standalone=(
            ("CSRD sustainability reporting", "compliance"),
            ("Lyon distribution centre construction", "construction"),
            ("Loyalty app relaunch", "product_launch"),
            ("Cybersecurity NIS2 compliance", "compliance"),
        ),
        objectives=(
            ("SO1", "Grow omnichannel revenue by 15%", None),
            ("SO1.1", "Double click-and-collect orders", "SO1"),
            ("SO2", "Reduce operating costs by 8%", None),
            ("SO2.1", "Retire legacy systems", "SO2"),
            ("SO3", "Net-zero operations by 2030", None),
            ("SO4", "Comply with EU regulation on time", None),
            ("SO5", "Raise customer satisfaction to 85%", None),
        ),
        users=_users(
            [
                ("Claire", "Dubois"),
                ("Antoine", "Lefèvre"),
                ("Sophie", "Martin"),
                ("Julien", "Moreau"),
                ("Camille", "Laurent"),
                ("Philippe", "Girard"),
            ]
        ),
        sponsors=(
            "Isabelle Roux, Chief Operating Officer",
            "Marc Fontaine, Chief Financial Officer",
            "Nathalie Blanc, Chief Digital Officer",
            "Hugo Mercier, Chief Supply Chain Officer",
            "Élodie Garnier, Chief Marketing Officer",
        ),
        first_names=(
            "Léa",
            "Hugo",
            "Chloé",
            "Lucas",
            "Manon",
            "Louis",
            "Inès",
            "Gabriel",
            "Jade",
            "Arthur",
            "Emma",
            "Raphaël",
            "Alice",
            "Jules",
            "Lina",
            "Adam",
            "Zoé",
            "Nathan",
            "Sarah",
            "Théo",
            "Clara",
            "Paul",
            "Juliette",
            "Mathis",
            "Anaïs",
            "Maxime",
            "Pauline",
            "Thomas",
            "Margaux",
            "Romain",
            "Céline",
            "Nicolas",
            "Aurélie",
            "Vincent",
            "Émilie",
            "Olivier",
            "Mélanie",
            "Baptiste",
            "Océane",
            "Quentin",
        ),
        last_names=(
            "Bernard",
            "Petit",
            "Durand",
            "Leroy",
            "Simon",
            "Michel",
            "Garcia",
            "David",
            "Bertrand",
            "Roux",
            "Vincent",
            "Fournier",
            "Morel",
            "Girard",
            "André",
            "Mercier",
            "Dupont",
            "Lambert",
            "Bonnet",
            "François",
            "Martinez",
            "Legrand",
            "Garnier",
            "Faure",
            "Rousseau",
            "Blanc",
            "Guerin",
            "Muller",
            "Henry",
            "Roussel",
            "Nicolas",
            "Perrin",
            "Morin",
            "Mathieu",
            "Clément",
            "Gauthier",
            "Dumont",
            "Lopez",
            "Fontaine",
            "Chevalier",
        ),
        units={
            "sites": (
                "Paris Opéra",
                "Lyon Part-Dieu",
                "Marseille Vieux-Port",
                "Lille Grand Place",
                "Bordeaux Sainte-Catherine",
                "Nantes Atlantis",
                "Toulouse Capitole",
                "Nice Masséna",
                "Strasbourg Kléber",
                "Rennes Colombier",
                "Montpellier Odysseum",
                "Grenoble Victor Hugo",
                "Dijon Toison d'Or",
                "Reims Centre",
                "Angers Espace",
            ),
            "markets": (
                "France",
                "Belgium",
                "Luxembourg",
                "Switzerland",
                "Spain",
                "Italy",
                "Germany",
                "Netherlands",
                "Portugal",
                "Austria",
                "Monaco",
                "Ireland",
                "Poland",
                "Czechia",
                "Denmark",
            ),
            "units": (
                "Finance",
                "Procurement",
                "Logistics",
                "Stores north",
                "Stores south",
                "E-commerce",
                "Human resources",
                "Marketing",
                "IT",
                "Legal",
                "Real estate",
                "Customer service",
                "Private label",
                "Internal audit",
                "Treasury",
                "Franchise network",
                "Data office",
                "Security",
            ),
        },
        rate_factor=1.0,
    ),
    OrgSpec(
        code="thames",
        name="Thames Infrastructure Ltd",
        country="GB",
        currency="GBP",
        domain="thames-infra.example",
        portfolio=(
            "TIL-CAP",
            "Capital Delivery Portfolio",
            "Regeneration, depots and the digital asset management programme.",
        ),
        programs=(
            ProgramSpec(
                "RIVER",
                "Riverside Regeneration",
                "Mixed-use regeneration of the Riverside estate.",
                (
                    ("Riverside office block A", "construction"),
                    ("Riverside residential tower B", "construction"),
                    ("Riverside smart building systems", "it_rollout"),
                    ("Riverside public realm", "construction"),
                ),
            ),
            ProgramSpec(
                "DAM",
                "Digital Asset Management",
                "One asset register and work management system for every depot.",
                (
                    ("Asset management system rollout", "it_rollout"),
                    ("Oracle Fusion ERP migration", "erp_migration"),
                    ("Engineering applications cloud migration", "cloud_migration"),
                    ("Field-worker mobile app launch", "product_launch"),
                ),
            ),
        ),
        standalone=(
            ("Building Safety Act compliance", "compliance"),
            ("Swindon depot electrification", "construction"),
            ("Cyber Essentials Plus certification", "compliance"),
            ("Canary Wharf station fit-out", "construction"),
            ("Fleet telematics rollout", "it_rollout"),
        ),
        objectives=(
            ("SO1", "Deliver the capital plan on budget", None),
            ("SO1.1", "Cut cost overruns below 5%", "SO1"),
            ("SO2", "Zero harm to people", None),
            ("SO3", "Digitise asset management", None),
            ("SO3.1", "One asset register for all depots", "SO3"),
            ("SO4", "Decarbonise the fleet by 2030", None),
        ),
        users=_users(
            [
                ("Eleanor", "Hughes"),
                ("James", "Whitfield"),
                ("Priya", "Patel"),
                ("Oliver", "Bennett"),
                ("Hannah", "Clarke"),
                ("Richard", "Ashworth"),
            ]
        ),
        sponsors=(
            "Margaret Doyle, Chief Executive",
            "Stephen Price, Director of Capital Works",
            "Fiona Campbell, Chief Information Officer",
            "Graham Lewis, Finance Director",
        ),
        first_names=(
            "Oliver",
            "Amelia",
            "George",
            "Isla",
            "Harry",
            "Ava",
            "Jack",
            "Mia",
            "Charlie",
            "Grace",
            "Thomas",
            "Sophie",
            "William",
            "Lily",
            "Henry",
            "Freya",
            "Alfie",
            "Emily",
            "Joshua",
            "Ella",
            "Samuel",
            "Poppy",
            "Daniel",
            "Ruby",
            "Matthew",
            "Evie",
            "Benjamin",
            "Chloe",
            "Ethan",
            "Lucy",
            "Ryan",
            "Zara",
            "Liam",
            "Holly",
            "Arjun",
            "Aisha",
            "Connor",
            "Megan",
            "Rhys",
            "Niamh",
        ),
        last_names=(
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Johnson",
            "Davies",
            "Robinson",
            "Wright",
            "Thompson",
            "Evans",
            "Walker",
            "White",
            "Roberts",
            "Green",
            "Hall",
            "Wood",
            "Jackson",
            "Clarke",
            "Turner",
            "Hill",
            "Cooper",
            "Ward",
            "Morris",
            "Moore",
            "King",
            "Harris",
            "Baker",
            "Lee",
            "Khan",
            "Ahmed",
            "Murphy",
            "O'Brien",
            "Singh",
            "Shah",
            "Edwards",
            "Collins",
            "Stewart",
            "Morgan",
        ),
        units={
            "sites": (
                "Reading depot",
                "Oxford depot",
                "Swindon depot",
                "Slough depot",
                "Basingstoke depot",
                "Guildford depot",
                "Maidenhead depot",
                "Newbury depot",
                "Bracknell depot",
                "Woking depot",
                "High Wycombe depot",
                "Aylesbury depot",
                "Banbury depot",
                "Didcot depot",
                "Bicester depot",
            ),
            "markets": (
                "London",
                "South East",
                "South West",
                "East of England",
                "West Midlands",
                "East Midlands",
                "North West",
                "North East",
                "Yorkshire",
                "Wales",
                "Scotland",
                "Northern Ireland",
                "Thames Valley",
                "Kent",
                "Solent",
            ),
            "units": (
                "Riverside estate",
                "Swindon depot",
                "Head office",
                "Reading depot",
                "Oxford depot",
                "Tower B",
                "Block A",
                "Canary Wharf station",
                "Fleet",
                "Procurement",
                "Finance",
                "Engineering",
                "Health and safety",
                "IT",
                "Property services",
                "Customer services",
                "Legal",
                "Human resources",
            ),
        },
        rate_factor=0.95,
        site_calendar=True,
    ),
    OrgSpec(
        code="maple",
        name="Maple Health Network",
        country="CA",
        currency="CAD",
        domain="maple-health.example",
        portfolio=(
            "MHN-MOD",
            "Health System Modernisation",
            "Digital health and capital projects of the network's hospitals.",
        ),
        programs=(
            ProgramSpec(
                "DH",
                "Digital Health",
                "Electronic records, patient portal and clinical data.",
                (
                    ("Electronic health record rollout", "it_rollout"),
                    ("Patient portal launch", "product_launch"),
                    ("Clinical data warehouse cloud migration", "cloud_migration"),
                    ("Finance and supply chain ERP", "erp_migration"),
                ),
            ),
            ProgramSpec(
                "CAP",
                "Capital Projects",
                "New and renovated clinical space.",
                (
                    ("Toronto General east wing expansion", "construction"),
                    ("Ottawa outpatient clinic", "construction"),
                    ("MRI suite installation", "construction"),
                ),
            ),
        ),
        standalone=(
            ("PHIPA privacy compliance programme", "compliance"),
            ("Telehealth service launch", "product_launch"),
            ("Laboratory information system replacement", "it_rollout"),
            ("Supply chain RFID tracking", "it_rollout"),
            ("AODA accessibility compliance", "compliance"),
            ("Medical device cybersecurity programme", "compliance"),
        ),
        objectives=(
            ("SO1", "Improve patient access and flow", None),
            ("SO1.1", "Cut outpatient wait times by 20%", "SO1"),
            ("SO2", "Modernise clinical systems", None),
            ("SO3", "Protect patient privacy and safety", None),
            ("SO4", "Expand clinical capacity", None),
            ("SO4.1", "Open 120 new beds by 2028", "SO4"),
        ),
        users=_users(
            [
                ("Sarah", "MacDonald"),
                ("Luc", "Gagnon"),
                ("Emily", "Roy"),
                ("Robert", "Chen"),
                ("Aisha", "Mohamed"),
                ("Geneviève", "Côté"),
            ]
        ),
        sponsors=(
            "Dr. Andrew Wilson, Chief Medical Officer",
            "Karen Thompson, Chief Nursing Officer",
            "Michel Bouchard, Chief Financial Officer",
            "Jennifer Lee, Chief Information Officer",
        ),
        first_names=(
            "Liam",
            "Olivia",
            "Noah",
            "Charlotte",
            "William",
            "Emma",
            "Benjamin",
            "Amelia",
            "Lucas",
            "Ava",
            "Félix",
            "Léa",
            "Jacob",
            "Chloé",
            "Ethan",
            "Zoé",
            "Mason",
            "Alice",
            "Logan",
            "Maya",
            "Nathan",
            "Rosalie",
            "Samuel",
            "Juliette",
            "Owen",
            "Florence",
            "Gabriel",
            "Mila",
            "Thomas",
            "Béatrice",
            "Arjun",
            "Mei",
            "Jasmine",
            "Kevin",
            "Fatima",
            "Dylan",
            "Hannah",
            "Raj",
            "Simone",
            "Tyler",
        ),
        last_names=(
            "Smith",
            "Brown",
            "Tremblay",
            "Martin",
            "Roy",
            "Wilson",
            "MacDonald",
            "Gagnon",
            "Johnson",
            "Taylor",
            "Côté",
            "Campbell",
            "Anderson",
            "Leblanc",
            "Lee",
            "Bouchard",
            "Gauthier",
            "Morin",
            "Thompson",
            "White",
            "Lavoie",
            "Fortin",
            "Gagné",
            "Ouellet",
            "Pelletier",
            "Bélanger",
            "Lévesque",
            "Bergeron",
            "Nguyen",
            "Singh",
            "Wong",
            "Chen",
            "Patel",
            "Clark",
            "Young",
            "Scott",
            "Stewart",
            "Reid",
            "Murray",
            "Girard",
        ),
        units={
            "sites": (
                "Toronto General",
                "Toronto Western",
                "Ottawa Civic",
                "Ottawa General",
                "Kingston Health Sciences",
                "Hamilton General",
                "London Victoria",
                "Sudbury Health Sciences",
                "Thunder Bay Regional",
                "Windsor Regional",
                "Mississauga Hospital",
                "Brampton Civic",
                "Oakville Trafalgar",
                "Barrie Royal Victoria",
                "Peterborough Regional",
            ),
            "markets": (
                "Ontario",
                "Quebec",
                "British Columbia",
                "Alberta",
                "Manitoba",
                "Saskatchewan",
                "Nova Scotia",
                "New Brunswick",
                "Newfoundland and Labrador",
                "Prince Edward Island",
                "Yukon",
                "Northwest Territories",
                "Nunavut",
                "Greater Toronto",
                "National Capital Region",
            ),
            "units": (
                "Emergency",
                "Surgery",
                "Oncology",
                "Cardiology",
                "Paediatrics",
                "Diagnostic imaging",
                "Laboratory",
                "Pharmacy",
                "Outpatient clinics",
                "Mental health",
                "Maternity",
                "Intensive care",
                "Health records",
                "Finance",
                "Human resources",
                "Supply chain",
                "IT",
                "Facilities",
            ),
        },
        rate_factor=1.35,
    ),
)

# The fixed "today" of the demo: progress, actuals and phases are as of this date.
STATUS_DATE = dt.date(2026, 10, 30)
HOLIDAY_YEARS = range(2025, 2029)
# Phases of the 40 projects (shuffled by the seed).
PHASE_MIX: dict[str, int] = {
    "closed": 5,
    "closing": 3,
    "execution": 16,
    "planning": 6,
    "initiation": 5,
    "proposal": 5,
}
TOTAL_TASKS = 4000
