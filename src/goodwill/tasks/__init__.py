"""Human follow-ups: tasks with a due date and an assignee, linked to a person, account or order."""
