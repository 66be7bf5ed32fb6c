"""The privacy tools' pure domain: what a subject-access report contains. No I/O."""
