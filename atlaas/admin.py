from django.contrib import admin

from .models import Categorie, Collectivite, Departement, Enjeu, Region, Service


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["nom", "code", "zone"]
    list_filter = ["zone"]
    search_fields = ["nom", "code"]


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ["code", "nom", "region", "zone"]
    list_filter = ["zone", "region"]
    search_fields = ["nom", "code"]
    list_select_related = ["region"]


@admin.register(Collectivite)
class CollectiviteAdmin(admin.ModelAdmin):
    list_display = ["nom", "code", "nature", "type_epci", "departement", "population", "active"]
    list_filter = ["nature", "type_epci", "zone", "active", "region"]
    search_fields = ["nom", "code", "siren", "codes_postaux"]
    list_select_related = ["departement"]
    raw_id_fields = ["epci"]
    readonly_fields = ["nature", "code", "siren"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # the referential comes from import_territoires, never typed in by hand


class EnjeuInline(admin.TabularInline):
    model = Enjeu
    extra = 0
    prepopulated_fields = {"slug": ["nom"]}


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["nom", "slug", "ordre", "actif"]
    prepopulated_fields = {"slug": ["nom"]}


@admin.register(Categorie)
class CategorieAdmin(admin.ModelAdmin):
    list_display = ["nom", "ordre"]
    search_fields = ["nom"]
    prepopulated_fields = {"slug": ["nom"]}
    inlines = [EnjeuInline]


@admin.register(Enjeu)
class EnjeuAdmin(admin.ModelAdmin):
    list_display = ["nom", "categorie", "ordre"]
    list_filter = ["categorie"]
    search_fields = ["nom"]
    prepopulated_fields = {"slug": ["nom"]}
    inlines = [ServiceInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["nom", "enjeu", "ordre", "actif"]
    list_filter = ["actif", "enjeu__categorie", "enjeu"]
    search_fields = ["nom", "description"]
    list_select_related = ["enjeu"]
    prepopulated_fields = {"slug": ["nom"]}
