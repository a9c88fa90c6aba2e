"""Values of the official fields the sandbox keeps no data for (linear/schema.graphql, the types named below).

A nullable field without data is null (graphql-core's default resolver finds no key). A non-null one needs a
value, and each here is the honest one for a workspace that never used the feature: off for a setting or a
flag (``Team.private``, ``Issue.inheritsSharedAccess``), empty for a list or JSON object (``reactionData``,
``Project.scopeHistory``), zero for a count. A value the sandbox can derive from its data is not here but in
:mod:`sandbox.linear.fields`. A stored value always wins over the default.
"""

from __future__ import annotations

from typing import Any

OFF = False
SETTINGS_OFF = (
    "aiDiscussionSummariesEnabled",
    "aiThreadSummariesEnabled",
    "slackIssueComments",
    "slackIssueStatuses",
    "slackNewIssue",
)

DEFAULTS: dict[str, dict[str, Any]] = {
    "Issue": {"inheritsSharedAccess": OFF, "reactionData": []},
    "IssueHistory": {},
    "Attachment": {"groupBySource": OFF, "metadata": {}},
    "Comment": {
        "bodyData": "",
        "hideInLinear": OFF,
        "isArtificialAgentSessionRoot": OFF,
        "reactionData": [],
    },
    "IssueLabel": {"isGroup": OFF},
    "Project": {
        "color": "#bec2c8",
        "completedIssueCountHistory": [],
        "completedScopeHistory": [],
        "inProgressScopeHistory": [],
        "issueCountHistory": [],
        "scopeHistory": [],
        "currentProgress": {},
        "progressHistory": {},
        "frequencyResolution": "weekly",
        "labelIds": [],
        **dict.fromkeys(SETTINGS_OFF[2:], OFF),
    },
    "ProjectStatus": {"indefinite": OFF},
    "Cycle": {
        "completedIssueCountHistory": [],
        "completedScopeHistory": [],
        "inProgressScopeHistory": [],
        "issueCountHistory": [],
        "scopeHistory": [],
        "currentProgress": {},
        "progressHistory": {},
    },
    "Team": {
        **dict.fromkeys(SETTINGS_OFF, OFF),
        "autoArchivePeriod": 6.0,  # months (Team.autoArchivePeriod)
        "currentProgress": {},
        "progressHistory": {},
        "securitySettings": {},
        "cycleCalenderUrl": "",
        "cycleCooldownTime": 0.0,
        "cycleIssueAutoAssignCompleted": OFF,
        "cycleIssueAutoAssignStarted": OFF,
        "cycleLockToActive": OFF,
        "defaultIssueEstimate": 1.0,
        "groupIssueHistory": OFF,
        "inheritIssueEstimation": OFF,
        "inheritSlackAutoCreateProjectChannel": OFF,
        "inheritWorkflowStatuses": OFF,
        "initiativesEnabled": OFF,
        "issueEstimationAllowZero": OFF,
        "issueEstimationExtended": OFF,
        "issueEstimationType": "fibonacci",  # the generated estimates are 1, 2, 3, 5, 8
        "issueOrderingNoPriorityFirst": OFF,
        "issueSortOrderDefaultToBottom": OFF,
        "ledInitiativeCount": 0,
        "private": OFF,
        "requirePriorityToLeaveTriage": OFF,
        "scimManaged": OFF,
        "setIssueSortOrderOnStateChange": "none",
        "timezone": "America/Los_Angeles",
        "visibility": "public",
    },
    "User": {
        "app": OFF,
        "guest": OFF,
        "hasGitHubCodeAccess": OFF,
        "supportsAgentSessions": OFF,
        "canAccessAnyPublicTeam": True,
        "isMentionable": True,
        "avatarBackgroundColor": "#5e6ad2",
    },
    "Organization": {
        **dict.fromkeys(
            (
                "agentAutomationEnabled",
                "aiAddonEnabled",
                "aiDiscussionSummariesEnabled",
                "aiTelemetryEnabled",
                "aiThreadSummariesEnabled",
                "codeIntelligenceEnabled",
                "codingAgentEnabled",
                "feedEnabled",
                "generatedUpdatesEnabled",
                "gitLinkbackDescriptionsEnabled",
                "gitLinkbackMessagesEnabled",
                "gitPublicLinkbackMessagesEnabled",
                "hideNonPrimaryOrganizations",
                "hipaaComplianceEnabled",
                "linearAgentEnabled",
                "pullRequestTourEnabled",
                "releasesEnabled",
                "samlEnabled",
                "scimEnabled",
                "slackAutoCreateProjectChannel",
                "slackProjectChannelsEnabled",
            ),
            OFF,
        ),
        "allowedAiProviders": [],
        "allowedAuthServices": [],
        "previousUrlKeys": [],
        "authSettings": {},
        "codingAgentSettings": {},
        "customersConfiguration": {},
        "linearAgentSettings": {},
        "securitySettings": {},
        "fiscalYearStartMonth": 0.0,
        "initiativeUpdateRemindersDay": "Friday",
        "initiativeUpdateRemindersHour": 14.0,
        "projectUpdateRemindersDay": "Friday",
        "projectUpdateRemindersHour": 14.0,
        "projectUpdatesReminderFrequency": "never",
        "periodUploadVolume": 0.0,
        "pullRequestIssueMode": "off",  # one of the documented 'off', 'suggest', 'autoOnMerge'
        "releaseChannel": "public",
        "slaDayCount": "all",
        "slackProjectChannelPrefix": "",
        "workingDays": [1.0, 2.0, 3.0, 4.0, 5.0],
        "customersEnabled": True,  # the sandbox serves customers and their needs
        "roadmapEnabled": True,  # and projects
    },
}
