"""Reference data and pure rules: NAF, communes, validation, SMS text."""
