"""The parts of the service facade (tuimail.core.service.MailService), one job each:
views (the data the UI shows), sources (message lists), reading, actions (and undo),
folders, compose (drafts and sending), outbox. Import from tuimail.core.service."""
