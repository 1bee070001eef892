"""The desk shell: the workbench home (`/desk/`), the top bar's navigation, the agent's status control and
the notification bell, in one place.

Where it sits: tickets and chat pages wear the shell, but they never import it. The shell is a
template-level frame (`templates/base.html` includes `templates/desk/_topbar.html`) filled by a context
processor (`desk.context_processors.navigation`, named by string in settings) and driven by one
ES module (`static/desk/shell.js`) over one socket (`/ws/presence/`, `desk.consumers.DeskShellConsumer`).
Nothing below imports `desk`, so it can sit on the top floor beside `reports` and read downwards:
`profiles` for the roster and presence, `tickets` for the notifications. Had it sat low enough for
tickets and chat to import it (in `profiles`), the bell could not have read tickets' notifications.
"""
