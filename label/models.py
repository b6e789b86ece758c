# The yearly label (editions, candidatures, results) is built on atlaas; see DESIGN.md §2.
