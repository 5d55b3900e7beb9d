"""From the judges' door to the published results: rounds, assignment, scores, aggregation."""
