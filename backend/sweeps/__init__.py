"""The sweeps domain: specs and their design points, evaluation, storage, results, fronts, search and jobs."""
