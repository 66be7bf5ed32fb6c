"""Registration's pure domain: the central register, registration numbers, hit/no-hit. No I/O."""
