"""The Resources tab's parts: the people table model, the person panel, its dialogs and timeline."""
