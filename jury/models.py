# Jurors, assignments, evaluations and deliberation are built on label; see DESIGN.md §2.
