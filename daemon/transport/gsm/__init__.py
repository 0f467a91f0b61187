"""GSM modems through python-gsmmodem-new: the only importer of gsmmodem."""
