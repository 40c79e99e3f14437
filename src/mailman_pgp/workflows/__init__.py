"""The workflows of PGP lists: joining with a key, leaving, and the key commands' confirmations.

Each is a Mailman workflow (``mailman.app.workflow.Workflow``) whose tokens and state
Mailman keeps (``IPendings``, ``IWorkflowStateManager``); the list's own
``ISubscriptionManager`` (`manager`) runs them for PGP lists and Mailman's for others.
"""
