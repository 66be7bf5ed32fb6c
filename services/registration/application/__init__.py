"""Registration's handlers: register received signals once; answer queries from the register."""
