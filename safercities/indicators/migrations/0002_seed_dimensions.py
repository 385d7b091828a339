"""The seven human-security dimensions (UNDP Human Development Report 1994; UN GA res. 66/290)."""

from django.db import migrations

DIMENSIONS = [
    ("economic", "Economic security", "Seguridad económica",
     "An assured basic income, from work or a safety net.",
     "Un ingreso básico asegurado, por el trabajo o por una red de protección."),
    ("food", "Food security", "Seguridad alimentaria",
     "Physical and economic access to basic food at all times.",
     "Acceso físico y económico a alimentos básicos en todo momento."),
    ("health", "Health security", "Seguridad sanitaria",
     "Protection from disease and unhealthy ways of life, and access to care.",
     "Protección frente a enfermedades y modos de vida insalubres, y acceso a la atención."),
    ("environmental", "Environmental security", "Seguridad ambiental",
     "Protection from environmental degradation, pollution and disasters.",
     "Protección frente a la degradación ambiental, la contaminación y los desastres."),
    ("personal", "Personal security", "Seguridad personal",
     "Freedom from physical violence: crime, violence against women and children, traffic injuries.",
     "Libre de violencia física: delito, violencia contra mujeres y niñez, lesiones de tránsito."),
    ("community", "Community security", "Seguridad comunitaria",
     "Safety of belonging to a group; freedom from discrimination and inter-group tension.",
     "Seguridad de pertenecer a un grupo; libre de discriminación y tensiones entre grupos."),
    ("political", "Political security", "Seguridad política",
     "Living in a society that honours basic human rights and answers to its people.",
     "Vivir en una sociedad que respeta los derechos humanos básicos y rinde cuentas a su gente."),
]


def seed(apps, schema_editor):
    Dimension = apps.get_model("indicators", "Dimension")
    for order, (code, name, name_es, description, description_es) in enumerate(DIMENSIONS, start=1):
        Dimension.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "order": order,
                "translations": {"es": {"name": name_es, "description": description_es}},
            },
        )


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
