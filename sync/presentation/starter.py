"""The commented starter file ``rankbridge init`` writes."""

STARTER_CONFIG = """\
# rankbridge configuration. Secrets are never written here: use ${ENV_VAR} references.
# Every key is checked when the file is loaded; unknown keys are errors.

[store]
path = ".rankbridge/rankbridge.db"     # the SQLite store (WAL)

# One table per tracker connection; the name after "connections." is yours.
[connections.jira]
type = "jira"
url = "https://your-site.atlassian.net"
deployment = "cloud"                    # or "datacenter" (bearer token)
email = "you@example.com"
token = "${JIRA_API_TOKEN}"
jql = "project = ENG"                   # what to pull and rank (one rank scope)
score_field = "Priority score"          # number field that receives the score (optional)
interval = 300                          # seconds between pulls in the daemon

# [connections.github]
# type = "github"
# url = "https://api.github.com"
# token = "${GITHUB_TOKEN}"
# repos = ["acme/app"]
# project = { owner = "acme", number = 1 }
# score_field = "Priority score"

# [connections.linear]
# type = "linear"
# url = "https://api.linear.app"
# api_key = "${LINEAR_API_KEY}"
# teams = ["ENG"]

# [connections.zendesk]
# type = "zendesk"
# url = "https://your-subdomain.zendesk.com"
# email = "you@example.com"
# token = "${ZENDESK_API_TOKEN}"

[scoring]
framework = "rice"                      # rice, ice, wsjf or custom
# Each input is an expression over the item and its evidence; None falls back to the default
# and lowers confidence (the explanation marks it imputed).
[scoring.inputs]
reach = "feedback_orgs if feedback_orgs else None"
effort = "estimate if estimate else None"
[scoring.defaults]
reach = 1
effort = 3

[[scoring.adjust]]
name = "security first"
when = "'security' in labels"
multiply = 1.5

# [[roadmap.themes]]
# name = "Enterprise readiness"
# match = "'enterprise' in labels or enterprise_orgs > 0"
# weight = 1.2

# Notes to support: linked_all_done counts completed work only; canceled work (Won't Do, closed as not
# planned) is linked_canceled, and linked_all_closed holds once every linked issue is done or canceled.
# [[status.rules]]
# name = "tell support it shipped"
# when = "kind == 'feedback' and linked_all_done"
# comment = "Shipped: {linked_keys}"
#
# [[status.rules]]
# name = "tell support it was declined"
# when = "kind == 'feedback' and linked_all_closed and linked_canceled > 0"
# comment = "Not planned: {linked_canceled_keys}"
"""
