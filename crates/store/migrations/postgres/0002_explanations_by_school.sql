-- Explanations are read by school: index them by school and year.
CREATE INDEX explanations_rcdts ON explanations (rcdts, year);
