"""The minutes (notulen) of an LIO/GSO meeting, in Dutch, as Markdown and HTML, from LIO events only.

Minutes never show subjects (addresses, companies, person pseudonyms), BSNs or names: an item is
named by its registration number and themes, people by their pseudonymous staff id.
"""
